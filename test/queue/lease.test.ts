import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGuard, type Guard, type JobEvent, startWorker } from '../../src/index.js'
import type { TestDatabase } from '../support/databases.js'
import { countRows, createShopDatabase, fillShop, jobs, QUEUE_RELATIONS } from './fixture.js'

/** Whether the worker has claimed the job: its batch comes next, and waits for the rows the test holds. */
async function claimedBy(db: Kysely<any>, workerId: string): Promise<boolean> {
  const { rows } =
    await sql`select 1 as ${sql.id('claimed')} from refguard_jobs where locked_by = ${workerId} and state = 'running'`.execute(db)
  return rows.length > 0
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; !(await condition()); tries++) {
    if (tries > 500) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// Two sessions at once: the test holds rows while the worker's batch waits for them. PGlite has one connection.
for (const dialect of ['postgres', 'mariadb'] as const) {
  describe(`a worker that loses its job mid-batch, on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard

    beforeAll(async () => {
      test = await createShopDatabase(dialect, 'lease')
      await fillShop(test.db, dialect, { customers: 2, orders: 3, lines: 2 })
      guard = await createGuard({ db: test.db, relations: QUEUE_RELATIONS })
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('rolls its batch back when another worker took the job over while it ran', async () => {
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      let locked!: () => void
      const lockTaken = new Promise<void>((resolve) => (locked = resolve))
      // The application holds customer 1's orders, so the worker's batch waits for them.
      const holding = test.db.transaction().execute(async (trx) => {
        await sql`select id from orders where customer_id = 1 for update`.execute(trx)
        locked()
        await held
      })
      await lockTaken
      const events: JobEvent[] = []
      const worker = await startWorker({ guard, pollMs: 20, batchSize: 100, onJob: (event) => events.push(event) })
      await until(() => claimedBy(test.db, worker.id))
      // Meanwhile the job changes hands, as when the lease runs out and another worker claims it.
      await sql`update refguard_jobs set locked_by = 'another-worker' where state = 'running'`.execute(test.db)
      release()
      await holding
      const summary = await worker.stop()
      expect(summary).toMatchObject({ done: 0, rows: 0 })
      expect(events).toEqual([])
      expect(await countRows(test.db, 'orders', sql`customer_id = 1`)).toBe(3)
      expect((await jobs(test.db)).map((job) => [job.state, job.rowsDone])).toEqual([['running', 0]])
    })
  })
}

// The one-statement leaf batch exists on PostgreSQL only (MariaDB batches are transactions, covered above); PGlite has one connection.
describe('a worker that loses a leaf job between batches, on postgres', () => {
  const LEAF = ['orders(customer_id) -> customers(id) on delete cascade mode queued']
  let test: TestDatabase
  let guard: Guard

  beforeAll(async () => {
    test = await createShopDatabase('postgres', 'lease_leaf')
    await sql`insert into customers values (1, 'one')`.execute(test.db)
    await sql`insert into orders (id, customer_id) select s, 1 from generate_series(1, 3000) s`.execute(test.db)
    guard = await createGuard({ db: test.db, relations: LEAF })
  })
  afterAll(async () => {
    await guard?.close()
    await test?.drop()
  })

  it('deletes nothing more once another worker holds the job, and recorded every row it deleted before', async () => {
    await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
    const worker = await startWorker({ guard, pollMs: 5, batchSize: 1 })
    await until(() => claimedBy(test.db, worker.id))
    await sql`update refguard_jobs set locked_by = 'another-worker' where state = 'running'`.execute(test.db)
    await new Promise((resolve) => setTimeout(resolve, 200))
    await worker.stop()
    const left = await countRows(test.db, 'orders')
    const [job] = await jobs(test.db)
    expect(left).toBeGreaterThan(0)
    expect(job).toMatchObject({ state: 'running', rowsDone: 3000 - left })
    const { rows } = await sql<{ by: string }>`select locked_by as ${sql.id('by')} from refguard_jobs`.execute(test.db)
    expect(rows).toEqual([{ by: 'another-worker' }])
  })
})
