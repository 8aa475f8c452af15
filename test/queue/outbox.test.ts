import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/errors.js'
import { UnguardedWriteError } from '../../src/enforce/errors.js'
import { createGuard, ensureJobTables, type Guard } from '../../src/index.js'
import { DIALECTS, type TestDatabase } from '../support/databases.js'
import { integrityFailure } from '../support/errors.js'
import { countRows, createShopDatabase, emptyShop, fillShop, jobs, QUEUE_RELATIONS, RELATION_NAMES } from './fixture.js'

/** The rejection of `promise`, which must be an instance of `type`. */
async function failure<T>(promise: Promise<unknown>, type: new (...args: any[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(type)
  return error as T
}

for (const dialect of DIALECTS) {
  describe(`queued relations write their jobs in the parent's transaction on ${dialect}`, () => {
    const family = dialect === 'mariadb' ? 'mysql' : 'postgres'
    let test: TestDatabase
    let guard: Guard

    beforeAll(async () => {
      test = await createShopDatabase(dialect, 'outbox')
      guard = await createGuard({ db: test.db, relations: QUEUE_RELATIONS })
    })
    beforeEach(async () => {
      await emptyShop(test)
      await fillShop(test.db, dialect, { customers: 3, orders: 2, lines: 2 })
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('a committed parent delete keeps the children for the worker and has exactly one job with the keys', async () => {
      await guard.db.deleteFrom('customers').where('id', 'in', [1, 2]).execute()
      expect(await countRows(test.db, 'customers')).toBe(1)
      expect(await countRows(test.db, 'orders')).toBe(6)
      expect(await jobs(test.db)).toMatchObject([
        {
          relation: RELATION_NAMES.orders,
          action: 'delete',
          state: 'pending',
          attempts: 0,
          parentKeys: { before: [[1], [2]] },
          parentJobId: null,
        },
      ])
      expect((await jobs(test.db))[0]?.parentKeys.after).toBeUndefined()
    })

    it('a parent delete whose transaction rolls back leaves no job', async () => {
      const rollback = guard.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('customers').where('id', '=', 1).execute()
        await trx.deleteFrom('coupons').where('id', '=', 2).execute()
        expect(await sql`select 1 from refguard_jobs`.execute(trx).then((result) => result.rows.length)).toBe(2)
        throw new Error('the application changed its mind')
      })
      await expect(rollback).rejects.toThrow('the application changed its mind')
      expect(await jobs(test.db)).toEqual([])
      expect(await countRows(test.db, 'customers')).toBe(3)
      expect(await countRows(test.db, 'coupons')).toBe(5)
    })

    it('a failed statement inside a transaction takes its job back with it; the transaction keeps the others', async () => {
      await guard.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('customers').where('id', '=', 1).execute()
        // line_notes -> order_lines is inline: the insert fails, and its statement (with nothing queued) is undone.
        await integrityFailure(trx.insertInto('line_notes').values({ id: 999, line_id: 999, body: 'x' }).execute())
        await trx.deleteFrom('coupons').where('id', '=', 2).execute()
      })
      expect((await jobs(test.db)).map((job) => [job.relation, job.parentKeys.before])).toEqual([
        [RELATION_NAMES.orders, [[1]]],
        [RELATION_NAMES.coupons, [[2]]],
      ])
    })

    it('a key update records the keys before and after', async () => {
      await guard.db.updateTable('customers').set({ id: 10 }).where('id', '=', 1).execute()
      expect(await jobs(test.db)).toMatchObject([
        { relation: RELATION_NAMES.orders, action: 'update', state: 'pending', parentKeys: { before: [[1]], after: [[10]] } },
      ])
      expect(await countRows(test.db, 'orders', sql`customer_id = 1`)).toBe(2)
    })

    it('rejects child writes for a parent deleted in queued mode at once, as inline', async () => {
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      const insert = await integrityFailure(guard.db.insertInto('orders').values({ id: 100, customer_id: 1 }).execute())
      expect(insert).toMatchObject({ relation: RELATION_NAMES.orders, sqlState: '23503', action: 'insert' })
      const update = await integrityFailure(guard.db.updateTable('orders').set({ customer_id: 1 }).where('id', '=', 5).execute())
      expect(update).toMatchObject({ relation: RELATION_NAMES.orders, action: 'update' })
      // The children waiting for the worker can still be written, as long as their key stays.
      await guard.db.updateTable('orders').set({ note: 'still here' }).where('customer_id', '=', 1).execute()
      expect(await countRows(test.db, 'orders', sql`note = 'still here'`)).toBe(2)
    })

    it('writes one job per 1000 parent keys', async () => {
      await sql`insert into coupons select id + 100, 'bulk' from customers`.execute(test.db)
      const values = Array.from({ length: 2300 }, (_, i) => ({ id: 1000 + i, code: 'many' }))
      for (let i = 0; i < values.length; i += 500)
        await test.db
          .insertInto('coupons')
          .values(values.slice(i, i + 500))
          .execute()
      await guard.db.deleteFrom('coupons').where('code', '=', 'many').execute()
      const written = await jobs(test.db)
      expect(written.map((job) => job.parentKeys.before.length)).toEqual([1000, 1000, 300])
      expect(new Set(written.flatMap((job) => job.parentKeys.before.map((key) => key[0]))).size).toBe(2300)
    })

    it('refuses an update that moves a key onto a key the same statement moves away', async () => {
      await test.exec(`drop table if exists tag_uses; drop table if exists tags`)
      // A deferred primary key on PostgreSQL, and descending order on MariaDB, so the engine itself allows the shift.
      await test.exec(
        family === 'postgres'
          ? 'create table tags (id int, constraint tags_pk primary key (id) deferrable initially deferred)'
          : 'create table tags (id int primary key)',
      )
      await test.exec(
        'create table tag_uses (id int primary key, tag_id int not null); insert into tags values (1), (2); insert into tag_uses values (1, 1), (2, 2)',
      )
      const tags = await createGuard({ db: test.db, relations: ['tag_uses(tag_id) -> tags(id) on update cascade mode queued'] })
      try {
        const shift = tags.db
          .updateTable('tags')
          .set({ id: sql`id + 1` })
          .where('id', 'in', [1, 2])
        const error = await failure(family === 'mysql' ? shift.orderBy('id', 'desc').execute() : shift.execute(), UnguardedWriteError)
        expect(error.message).toMatch(
          /relation "tag_uses_tag_id_fkey" is queued.*onto \(2\).*statements that do not reuse a key, or make the relation inline/,
        )
        expect((await sql<{ id: number }>`select id from tags order by id`.execute(test.db)).rows.map((row) => Number(row.id))).toEqual([
          1, 2,
        ])
        expect(await jobs(test.db)).toEqual([])
      } finally {
        await tags.close()
        await test.exec('drop table tag_uses; drop table tags')
      }
    })

    it('createGuard refuses a queued relation with nothing to queue, naming it', async () => {
      const error = await failure(
        createGuard({
          db: test.db,
          relations: ['orders(customer_id) -> customers(id) on delete restrict mode queued'],
        }),
        ConfigError,
      )
      expect(error.message).toContain(
        'relation "orders_customer_id_fkey": mode "queued" needs ON DELETE or ON UPDATE CASCADE, SET NULL or SET DEFAULT, but it has ON DELETE RESTRICT and ON UPDATE NO ACTION',
      )
    })

    it('a queued relation whose other action is RESTRICT checks that one inline', async () => {
      const strict = await createGuard({
        db: test.db,
        relations: ['orders(customer_id) -> customers(id) on delete cascade on update restrict mode queued'],
      })
      try {
        const error = await integrityFailure(strict.db.updateTable('customers').set({ id: 50 }).where('id', '=', 1).execute())
        expect(error).toMatchObject({ relation: RELATION_NAMES.orders, action: 'update' })
        expect(await jobs(test.db)).toEqual([])
      } finally {
        await strict.close()
      }
    })

    it('createGuard asks for `refguard init` when refguard_jobs is missing; init is idempotent and records the version', async () => {
      await test.exec('drop table refguard_jobs; drop table refguard_versions')
      const error = await failure(createGuard({ db: test.db, relations: QUEUE_RELATIONS }), ConfigError)
      expect(error.message).toMatch(/^refguard_jobs does not exist: run `refguard init`/)
      await ensureJobTables(test.db, family)
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      await ensureJobTables(test.db, family)
      expect((await jobs(test.db)).length).toBe(1)
      const { rows } = await sql<{ component: string; version: unknown }>`select component, version from refguard_versions`.execute(test.db)
      expect(rows.map((row) => [row.component, Number(row.version)])).toEqual([['jobs', 1]])
      await sql`update refguard_versions set version = 7`.execute(test.db)
      const newer = await failure(createGuard({ db: test.db, relations: QUEUE_RELATIONS }), ConfigError)
      expect(newer.message).toMatch(/refguard_jobs is at schema version 7, newer than this refguard knows \(1\)/)
      await sql`update refguard_versions set version = 1`.execute(test.db)
    })
  })
}
