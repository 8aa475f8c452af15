import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createGuard, type Guard, type JobEvent, queueStatus, startWorker, type WorkerOptions } from '../../src/index.js'
import { DIALECTS, type TestDatabase } from '../support/databases.js'
import {
  countRows,
  createShopDatabase,
  emptyShop,
  fillShop,
  jobStates,
  jobs,
  NO_ORPHANS,
  orphans,
  QUEUE_RELATIONS,
  RELATION_NAMES,
  type ShopSize,
} from './fixture.js'

/** 6 customers with 5 orders of 4 lines (and a note per line) each. */
const SIZE: ShopSize = { customers: 6, orders: 5, lines: 4 }

for (const dialect of DIALECTS) {
  describe(`queue worker on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard

    /** Runs a worker over the guard until the queue is drained; its job events in order. */
    const drain = async (options: Partial<WorkerOptions> = {}): Promise<JobEvent[]> => {
      const events: JobEvent[] = []
      const worker = await startWorker({ guard, once: true, pollMs: 20, batchSize: 7, onJob: (event) => events.push(event), ...options })
      await worker.stopped
      return events
    }
    const orderIds = async (where = sql`1 = 1`) =>
      (await sql<{ id: number }>`select id from orders where ${where} order by id`.execute(test.db)).rows.map((row) => Number(row.id))

    beforeAll(async () => {
      test = await createShopDatabase(dialect, 'worker')
      guard = await createGuard({ db: test.db, relations: QUEUE_RELATIONS })
    })
    beforeEach(async () => {
      await emptyShop(test)
      await fillShop(test.db, dialect, SIZE)
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('finishes a cascade over three levels in batches: no orphans, other customers untouched', async () => {
      await guard.db.deleteFrom('customers').where('id', 'in', [1, 2, 3]).execute()
      expect(await orphans(test.db)).toMatchObject({ orders: 15 })
      const events = await drain()
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
      expect(await countRows(test.db, 'orders')).toBe(15)
      expect(await countRows(test.db, 'orders', sql`customer_id in (4, 5, 6)`)).toBe(15)
      expect(await countRows(test.db, 'order_lines')).toBe(60)
      expect(await countRows(test.db, 'line_notes')).toBe(60)
      const all = await jobs(test.db)
      expect(all.every((job) => job.state === 'done')).toBe(true)
      // 15 orders of 3 customers (5 each) in batches of at most 7: a batch looks at one customer's orders, found 5, so the
      // next one looks at one customer too (two would be 10); each batch enqueues the job for its orders' lines.
      const [first, ...lineJobs] = all
      expect(first).toMatchObject({ relation: RELATION_NAMES.orders, rowsDone: 15, parentJobId: null })
      expect(lineJobs.map((job) => [job.relation, job.parentKeys.before.length, job.rowsDone, job.parentJobId])).toEqual([
        [RELATION_NAMES.lines, 5, 20, first?.id],
        [RELATION_NAMES.lines, 5, 20, first?.id],
        [RELATION_NAMES.lines, 5, 20, first?.id],
      ])
      expect(events.map((event) => [event.relation, event.state, event.rows])).toEqual([
        [RELATION_NAMES.orders, 'done', 15],
        [RELATION_NAMES.lines, 'done', 20],
        [RELATION_NAMES.lines, 'done', 20],
        [RELATION_NAMES.lines, 'done', 20],
      ])
    })

    it('applies queued SET NULL and SET DEFAULT', async () => {
      const withCoupon2 = await orderIds(sql`coupon_id = 2`)
      const inRegion1 = await orderIds(sql`region_id = 1`)
      await guard.db.deleteFrom('coupons').where('id', '=', 2).execute()
      await guard.db.deleteFrom('regions').where('id', '=', 1).execute()
      expect(await orphans(test.db)).toMatchObject({ coupons: withCoupon2.length, regions: inRegion1.length })
      await drain({ batchSize: 3 })
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
      expect(await orderIds(sql`coupon_id is null and id in (${sql.join(withCoupon2)})`)).toEqual(withCoupon2)
      expect(await orderIds(sql`region_id = 0`)).toEqual(inRegion1)
      expect(await countRows(test.db, 'orders')).toBe(30)
    })

    it('moves children with an ON UPDATE CASCADE, along a key changed twice, and before a later delete of the new key', async () => {
      await guard.db.updateTable('customers').set({ id: 100 }).where('id', '=', 1).execute()
      await guard.db.updateTable('customers').set({ id: 200 }).where('id', '=', 100).execute()
      await guard.db.updateTable('customers').set({ id: 300 }).where('id', '=', 2).execute()
      await guard.db.deleteFrom('customers').where('id', '=', 300).execute()
      // The first job waits for a retry: jobs of a relation that changes keys still run in the order they committed.
      await sql`update refguard_jobs set run_after = ${dialect === 'mariadb' ? sql`utc_timestamp(6) + interval 300000 microsecond` : sql`now() + interval '300 milliseconds'`}
        where id = (select min(id) from (select id from refguard_jobs) as j)`.execute(test.db)
      await drain()
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
      expect(await orderIds(sql`customer_id = 200`)).toEqual([1, 2, 3, 4, 5])
      expect(await orderIds(sql`customer_id in (1, 2, 100, 300)`)).toEqual([])
      expect(await countRows(test.db, 'order_lines')).toBe(100)
    })

    it('is idempotent: running a job again changes nothing', async () => {
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      await guard.db.deleteFrom('coupons').where('id', '=', 3).execute()
      await drain()
      const after = {
        orders: await countRows(test.db, 'orders'),
        lines: await countRows(test.db, 'order_lines'),
        jobs: (await jobs(test.db)).length,
      }
      const nulls = await countRows(test.db, 'orders', sql`coupon_id is null`)
      await sql`update refguard_jobs set state = 'pending', locked_by = null, locked_at = null`.execute(test.db)
      const again = await drain()
      expect(again.map((event) => [event.state, event.rows])).toEqual(again.map(() => ['done', 0]))
      expect(again).toHaveLength(after.jobs)
      expect({
        orders: await countRows(test.db, 'orders'),
        lines: await countRows(test.db, 'order_lines'),
        jobs: (await jobs(test.db)).length,
      }).toEqual(after)
      expect(await countRows(test.db, 'orders', sql`coupon_id is null`)).toBe(nulls)
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
    })

    it('leaves the children of a re-inserted parent key alone', async () => {
      await guard.db.deleteFrom('customers').where('id', 'in', [1, 2]).execute()
      await guard.db.insertInto('customers').values({ id: 1, name: 'back again' }).execute()
      await guard.db.insertInto('orders').values({ id: 1000, customer_id: 1, note: 'new' }).execute()
      const events = await drain()
      expect(events[0]).toMatchObject({ relation: RELATION_NAMES.orders, state: 'done', rows: 5 })
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
      // Customer 2's orders are gone; customer 1's key is held again, so every order with that key stays with it.
      expect(await orderIds(sql`customer_id = 2`)).toEqual([])
      expect(await orderIds(sql`customer_id = 1`)).toEqual([1, 2, 3, 4, 5, 1000])
    })

    it('works through composite keys and a polymorphic filter; a child without a primary key by ctid (PostgreSQL) or refused', async () => {
      await test.exec(`create table parts (a int, b varchar(10), primary key (a, b));
        create table part_uses (x int, y varchar(10), kind varchar(10), n int, primary key (x, y, n));
        create table part_notes (x int, y varchar(10), body varchar(10));
        insert into parts values (1, 'p'), (2, 'q'), (3, 'r');
        insert into part_uses values (1, 'p', 'part', 1), (1, 'p', 'part', 2), (1, 'p', 'other', 3), (2, 'q', 'part', 1), (3, 'r', 'part', 1);
        insert into part_notes values (1, 'p', 'a'), (1, 'p', 'b'), (3, 'r', 'c')`)
      const uses = "constraint part_uses_part part_uses(x, y) -> parts(a, b) on delete cascade mode queued where kind = 'part'"
      const notes = 'part_notes(x, y) -> parts(a, b) on delete set null mode queued'
      try {
        if (dialect === 'mariadb') {
          await expect(createGuard({ db: test.db, relations: [uses, notes] })).rejects.toThrow(
            'relation "part_notes_x_y_fkey": mode "queued" works through part_notes in batches by primary key, and it has none; add a primary key or make the relation inline',
          )
        }
        const parts = await createGuard({ db: test.db, relations: dialect === 'mariadb' ? [uses] : [uses, notes] })
        try {
          await parts.db.deleteFrom('parts').where('a', 'in', [1, 3]).execute()
          const worker = await startWorker({ guard: parts, once: true, pollMs: 10, batchSize: 1 })
          expect(await worker.stopped).toMatchObject({ dead: 0 })
          const rows = await sql<Record<string, unknown>>`select x, y, kind, n from part_uses order by x, n`.execute(test.db)
          expect(rows.rows.map((row) => [Number(row.x), row.y, row.kind, Number(row.n)])).toEqual([
            [1, 'p', 'other', 3],
            [2, 'q', 'part', 1],
          ])
          if (dialect !== 'mariadb') {
            const nulled = await sql<Record<string, unknown>>`select x, y, body from part_notes order by body`.execute(test.db)
            expect(nulled.rows).toEqual([
              { x: null, y: null, body: 'a' },
              { x: null, y: null, body: 'b' },
              { x: null, y: null, body: 'c' },
            ])
          }
        } finally {
          await parts.close()
        }
      } finally {
        await test.exec('drop table part_notes; drop table part_uses; drop table parts')
      }
    })

    it('dead-letters a job after maxAttempts failed attempts, keeping the error', async () => {
      await test.exec(
        'create table scratch_parents (id int primary key); create table scratch_children (id int primary key, parent_id int)',
      )
      await test.exec('insert into scratch_parents values (1), (2); insert into scratch_children values (1, 1), (2, 2)')
      const scratch = await createGuard({
        db: test.db,
        relations: ['scratch_children(parent_id) -> scratch_parents(id) on delete cascade mode queued'],
      })
      try {
        await scratch.db.deleteFrom('scratch_parents').where('id', '=', 1).execute()
        await test.exec('drop table scratch_children')
        const events: JobEvent[] = []
        const worker = await startWorker({
          guard: scratch,
          once: true,
          pollMs: 10,
          maxAttempts: 3,
          backoffMs: 10,
          onJob: (event) => events.push(event),
        })
        expect(await worker.stopped).toEqual({ done: 0, retried: 2, dead: 1, rows: 0 })
        expect(events.map((event) => [event.state, event.attempts])).toEqual([
          ['pending', 1],
          ['pending', 2],
          ['dead', 3],
        ])
        const [job] = await jobs(test.db)
        expect(job).toMatchObject({ state: 'dead', attempts: 3 })
        expect(job?.lastError).toMatch(/scratch_children/)
        expect(events[2]?.error).toBe(job?.lastError)
        const status = await queueStatus(scratch)
        expect(status.ok).toBe(false)
        expect(status.deadJobs).toEqual([
          { id: job?.id, relation: 'scratch_children_parent_id_fkey', action: 'delete', attempts: 3, error: job?.lastError },
        ])
      } finally {
        await scratch.close()
        await test.exec('drop table scratch_parents')
      }
    })

    it('dead-letters at once a job whose relation is no longer in the configuration', async () => {
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      const without = await createGuard({ db: test.db, relations: QUEUE_RELATIONS.slice(1) })
      try {
        const events: JobEvent[] = []
        const worker = await startWorker({ guard: without, once: true, pollMs: 10, onJob: (event) => events.push(event) })
        expect(await worker.stopped).toMatchObject({ dead: 1, done: 0 })
        expect(events).toMatchObject([{ relation: RELATION_NAMES.orders, state: 'dead', attempts: 1 }])
        expect(await jobs(test.db)).toMatchObject([
          { state: 'dead', attempts: 1, lastError: `relation "${RELATION_NAMES.orders}" is not in the configuration` },
        ])
        expect(await countRows(test.db, 'orders', sql`customer_id = 1`)).toBe(5)
        const status = await queueStatus(without)
        expect(status.relations.find((entry) => entry.relation === RELATION_NAMES.orders)).toMatchObject({ configured: false, dead: 1 })
      } finally {
        await without.close()
      }
    })

    it('an idle worker deletes done jobs past their retention, and keeps recent and dead ones', async () => {
      await guard.db.deleteFrom('customers').where('id', 'in', [1, 2]).execute()
      await drain()
      const ago = (hours: number) =>
        dialect === 'mariadb' ? sql`utc_timestamp(6) - interval ${hours} hour` : sql`now() - cast(${hours} as int) * interval '1 hour'`
      await sql`update refguard_jobs set done_at = ${ago(3)} where state = 'done'`.execute(test.db)
      await sql`update refguard_jobs set done_at = ${ago(0)} where id = (select min(id) from (select id from refguard_jobs) as j)`.execute(
        test.db,
      )
      await sql`update refguard_jobs set state = 'dead', done_at = null where id = (select max(id) from (select id from refguard_jobs) as j)`.execute(
        test.db,
      )
      const before = await jobs(test.db)
      expect(before.length).toBeGreaterThanOrEqual(3)
      await drain({ keepDoneMs: 3_600_000 })
      const after = await jobs(test.db)
      expect(after.map((job) => job.state)).toEqual(['done', 'dead'])
    })

    it('takes over a job whose lease ran out, and stop() hands a job back between batches', async () => {
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      // A worker that claimed the job and died an hour ago.
      const past = dialect === 'mariadb' ? sql`utc_timestamp(6) - interval 1 hour` : sql`now() - interval '1 hour'`
      await sql`update refguard_jobs set state = 'running', locked_by = 'gone', locked_at = ${past}`.execute(test.db)
      const stopping: JobEvent[] = []
      const worker = await startWorker({
        guard,
        pollMs: 20,
        leaseMs: 60_000,
        batchSize: 1,
        onJob: (event) => {
          stopping.push(event)
          void worker.stop()
        },
      })
      // Stop as soon as the first job (the orders) is done: the lines job it enqueued is handed back unfinished or never claimed.
      await worker.stopped
      expect(stopping[0]).toMatchObject({ relation: RELATION_NAMES.orders, state: 'done', rows: 5 })
      expect(await jobStates(test.db)).toMatchObject({ done: 1 })
      expect(Object.keys(await jobStates(test.db)).sort()).toEqual(['done', 'pending'])
      await drain()
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
      expect(await jobStates(test.db)).toEqual({ done: (await jobs(test.db)).length })
    })

    it('reports the queue per relation', async () => {
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      await guard.db.deleteFrom('coupons').where('id', '=', 1).execute()
      await sql`update refguard_jobs set attempts = 1 where relation = ${RELATION_NAMES.coupons}`.execute(test.db)
      const before = await queueStatus(guard)
      expect(before.ok).toBe(true)
      expect(before.relations.map((entry) => entry.relation)).toEqual([
        RELATION_NAMES.orders,
        RELATION_NAMES.lines,
        RELATION_NAMES.coupons,
        RELATION_NAMES.regions,
      ])
      expect(before.relations[0]).toMatchObject({ pending: 1, running: 0, failed: 0, dead: 0, doneLastMinute: 0, configured: true })
      expect(before.relations[2]).toMatchObject({ pending: 1, failed: 1 })
      expect(before.totals).toMatchObject({ pending: 2, failed: 1, dead: 0 })
      expect(before.totals.oldestPendingSeconds).toBeGreaterThanOrEqual(0)
      await drain()
      const after = await queueStatus(guard)
      expect(after.totals).toEqual({ pending: 0, running: 0, failed: 0, dead: 0, doneLastMinute: 3, oldestPendingSeconds: null })
    })
  })
}
