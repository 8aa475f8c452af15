import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config/errors.js'
import { UnguardedWriteError } from '../src/enforce/errors.js'
import { createGuard, type Guard } from '../src/index.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'
import { integrityFailure } from './support/errors.js'

const TABLES = ['shipments', 'comments', 'posts', 'staff', 'order_items', 'orders', 'customers', 'items', 'accounts', 'tags', 'tagged']

const SCHEMA = `
create table customers (id int primary key, name varchar(20), deleted_at varchar(30));
create table orders (id int primary key, customer_id int, note varchar(20));
create table items (code varchar(10) primary key);
create table order_items (order_id int not null, no int not null, item_code varchar(10) default 'none', primary key (order_id, no));
create table shipments (id int primary key, order_id int, no int);
create table staff (id int primary key, manager_id int);
create table posts (id int primary key);
create table comments (id int primary key, kind varchar(10), target_id int);
create table accounts (id int primary key, region int, code int, unique (region, code));
create table tags (id int primary key);
create table tagged (id int primary key, tag_id int default 1);
create table regions (code int)
`

const RELATIONS = [
  'orders(customer_id) -> customers(id) on delete cascade on update cascade',
  'order_items(order_id) -> orders(id) on delete cascade on update restrict',
  'order_items(item_code) -> items(code) on delete restrict',
  'constraint shipments_full shipments(order_id, no) -> order_items(order_id, no) match full on delete set null',
  'staff(manager_id) -> staff(id) on delete cascade',
  "constraint comments_post comments(target_id) -> posts(id) where kind = 'post' on delete cascade",
  'constraint tagged_default tagged(tag_id) -> tags(id) on delete set default',
]

const FIXTURE = `
insert into customers values (1, 'Helen', null), (2, 'Dave', null), (3, 'Gone', 'yesterday');
insert into orders values (10, 1, null), (11, 1, null), (20, 2, null);
insert into items values ('A'), ('B'), ('C');
insert into order_items values (10, 1, 'A'), (10, 2, 'B'), (11, 1, 'A'), (20, 1, 'B');
insert into shipments values (1, 10, 1), (2, 10, 2), (3, null, null);
insert into staff values (1, null), (2, 1), (3, 2), (4, 3), (5, 1);
insert into posts values (1), (2);
insert into comments values (1, 'post', 1), (2, 'post', 2), (3, 'photo', 99);
insert into tags values (1), (2);
insert into tagged values (1, 2), (2, 2)
`

for (const dialect of DIALECTS) {
  describe(`enforcement on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard
    const rows = async (table: string, order = 'id') =>
      (await sql<Record<string, unknown>>`select * from ${sql.id(table)} order by ${sql.raw(order)}`.execute(test.db)).rows
    const ids = async (table: string) => (await rows(table)).map((row) => Number(row.id))

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'enforce')
      await test.exec(SCHEMA)
      guard = await createGuard({ db: test.db, relations: RELATIONS })
    })
    beforeEach(async () => {
      for (const table of TABLES) await sql`delete from ${sql.id(table)}`.execute(test.db)
      await test.exec(FIXTURE)
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('rejects a child whose parent does not exist, like a foreign key', async () => {
      const error = await integrityFailure(guard.db.insertInto('orders').values({ id: 12, customer_id: 9 }).execute())
      expect(error.sqlState).toBe('23503')
      expect(error.code).toBe('23503')
      expect(error.relation).toBe('orders_customer_id_fkey')
      expect(error.table).toBe('orders')
      expect(error.key).toEqual({ customer_id: 9 })
      expect(error.action).toBe('insert')
      expect(error.message).toBe(
        'insert or update on table "orders" violates relation "orders_customer_id_fkey": key (customer_id)=(9) is not present in table "customers"',
      )
      expect(await ids('orders')).toEqual([10, 11, 20])
    })

    it('checks every row of a multi-row insert and inserts none when one fails', async () => {
      await guard.db
        .insertInto('orders')
        .values([
          { id: 12, customer_id: 1 },
          { id: 13, customer_id: null },
        ])
        .execute()
      await integrityFailure(
        guard.db
          .insertInto('orders')
          .values([
            { id: 14, customer_id: 2 },
            { id: 15, customer_id: 7 },
          ])
          .execute(),
      )
      expect(await ids('orders')).toEqual([10, 11, 12, 13, 20])
    })

    it('checks insert … select, whatever values it produces', async () => {
      await guard.db
        .insertInto('orders')
        .columns(['id', 'customer_id'])
        .expression((eb) =>
          eb
            .selectFrom('customers')
            .select([sql<number>`id + 100`.as('id'), 'id'])
            .where('id', '=', 2),
        )
        .execute()
      expect(await ids('orders')).toContain(102)
      await integrityFailure(
        guard.db
          .insertInto('orders')
          .columns(['id', 'customer_id'])
          .expression((eb) => eb.selectFrom('customers').select([sql<number>`id + 200`.as('id'), sql<number>`id + 50`.as('customer_id')]))
          .execute(),
      )
      expect(await ids('orders')).toEqual([10, 11, 20, 102])
    })

    it('treats soft-deleted parents as absent', async () => {
      const soft = await createGuard({ db: test.db, relations: RELATIONS, softDelete: { customers: { column: 'deleted_at' } } })
      try {
        const error = await integrityFailure(soft.db.insertInto('orders').values({ id: 30, customer_id: 3 }).execute())
        expect(error.key).toEqual({ customer_id: 3 })
        await soft.db.insertInto('orders').values({ id: 31, customer_id: 2 }).execute()
      } finally {
        await soft.close()
      }
    })

    it('applies MATCH SIMPLE and MATCH FULL to NULLs in keys', async () => {
      await guard.db.insertInto('orders').values({ id: 31, customer_id: null }).execute()
      await guard.db.insertInto('shipments').values({ id: 4, order_id: null, no: null }).execute()
      const error = await integrityFailure(guard.db.insertInto('shipments').values({ id: 5, order_id: 10, no: null }).execute())
      expect(error.message).toContain('MATCH FULL does not allow mixing of null and nonnull key values')
    })

    it('checks nothing when an update leaves the key alone, even on an orphan', async () => {
      await guard.unguarded.insertInto('orders').values({ id: 40, customer_id: 99 }).execute()
      await guard.db.updateTable('orders').set({ note: 'still here' }).where('id', '=', 40).execute()
      await guard.db.updateTable('orders').set({ customer_id: 99 }).where('id', '=', 40).execute()
      await integrityFailure(guard.db.updateTable('orders').set({ customer_id: 98 }).where('id', '=', 40).execute())
    })

    it('checks rows entering a polymorphic relation, and only those', async () => {
      await guard.db.insertInto('comments').values({ id: 10, kind: 'photo', target_id: 42 }).execute()
      await integrityFailure(guard.db.insertInto('comments').values({ id: 11, kind: 'post', target_id: 42 }).execute())
      await integrityFailure(guard.db.updateTable('comments').set({ kind: 'post' }).where('id', '=', 3).execute())
      await guard.db.deleteFrom('posts').where('id', '=', 1).execute()
      expect(await ids('comments')).toEqual([2, 3, 10])
    })

    it('cascades deletes through several levels in one statement per relation per level', async () => {
      await guard.db.deleteFrom('customers').where('name', '=', 'Helen').execute()
      expect(await ids('orders')).toEqual([20])
      expect((await rows('order_items', 'order_id, no')).map((row) => Number(row.order_id))).toEqual([20])
      expect((await rows('shipments')).map((row) => [row.order_id, row.no])).toEqual([
        [null, null],
        [null, null],
        [null, null],
      ])
    })

    it('cascades through a self-reference and stops', async () => {
      await guard.db.deleteFrom('staff').where('id', '=', 2).execute()
      expect(await ids('staff')).toEqual([1, 5])
      await guard.db.deleteFrom('staff').execute()
      expect(await ids('staff')).toEqual([])
    })

    it('refuses to delete a parent under RESTRICT and changes nothing', async () => {
      const error = await integrityFailure(guard.db.deleteFrom('items').where('code', 'in', ['A', 'C']).execute())
      expect(error.relation).toBe('order_items_item_code_fkey')
      expect(error.message).toContain(
        'update or delete on table "items" violates relation "order_items_item_code_fkey" on table "order_items"',
      )
      expect((await rows('items', 'code')).map((row) => row.code)).toEqual(['A', 'B', 'C'])
      await guard.db.deleteFrom('items').where('code', '=', 'C').execute()
    })

    it('cascades key updates to children', async () => {
      await guard.db.updateTable('customers').set({ id: 7 }).where('id', '=', 1).execute()
      expect((await rows('orders')).map((row) => [row.id, row.customer_id])).toEqual([
        [10, 7],
        [11, 7],
        [20, 2],
      ])
    })

    it('sets children to their column default and checks the result (SET DEFAULT)', async () => {
      await guard.db.deleteFrom('tags').where('id', '=', 2).execute()
      expect((await rows('tagged')).map((row) => row.tag_id)).toEqual([1, 1])
      await guard.db.insertInto('tagged').values({ id: 3, tag_id: 1 }).execute()
      await integrityFailure(guard.db.deleteFrom('tags').where('id', '=', 1).execute())
      expect(await ids('tags')).toEqual([1])
    })

    it('makes a failed statement inside a transaction roll back alone', async () => {
      await guard.db.transaction().execute(async (trx) => {
        await trx.insertInto('orders').values({ id: 50, customer_id: 1 }).execute()
        await integrityFailure(trx.insertInto('orders').values({ id: 51, customer_id: 9 }).execute())
        await trx.insertInto('orders').values({ id: 52, customer_id: 2 }).execute()
      })
      expect(await ids('orders')).toEqual([10, 11, 20, 50, 52])
    })

    it('accepts raw SQL in a where clause, and refuses raw SQL writes to guarded tables', async () => {
      await guard.db
        .deleteFrom('customers')
        .where(sql<boolean>`${sql.ref('id')} > ${1}`)
        .execute()
      expect(await ids('orders')).toEqual([10, 11])
      const error = await sql`delete from orders`.execute(guard.db).catch((e) => e)
      expect(error).toBeInstanceOf(UnguardedWriteError)
      expect(error.message).toContain('guard.unguarded')
      await sql`select count(*) from orders`.execute(guard.db)
    })

    it('passes reads and writes of tables no relation names straight through, one statement each', async () => {
      let statements = 0
      const counted = test.db.withPlugin({
        transformQuery: (args) => args.node,
        async transformResult(args) {
          statements++
          return args.result
        },
      })
      const plain = await createGuard({ db: counted, relations: RELATIONS })
      statements = 0
      await plain.db.insertInto('regions').values({ code: 1 }).execute()
      await plain.db.deleteFrom('regions').execute()
      await plain.db.selectFrom('orders').selectAll().execute()
      expect(statements).toBe(3)
      await plain.close()
    })

    it('refuses to guard relations that cannot work, naming them', async () => {
      const unknown = await createGuard({ db: test.db, relations: ['orders(customer) -> customers(id)'] }).catch((e) => e)
      expect(unknown).toBeInstanceOf(ConfigError)
      expect(unknown.message).toContain('relation "orders_customer_fkey": child table "orders" has no column "customer"')
      const setNull = await createGuard({ db: test.db, relations: ['order_items(order_id) -> orders(id) on delete set null'] }).catch(
        (e) => e,
      )
      expect(setNull.message).toContain('SET NULL on NOT NULL column order_items.order_id')
    })
  })
}

describe('key updates under RESTRICT and NO ACTION', () => {
  for (const dialect of DIALECTS) {
    it(`${dialect}: id = id + 1 passes NO ACTION when no child dangles (PostgreSQL), fails RESTRICT`, async () => {
      const test = await createTestDatabase(dialect, 'noaction')
      try {
        // PostgreSQL checks a non-deferrable primary key row by row; a deferrable one lets the keys shift.
        const key = dialect === 'mariadb' ? 'primary key (id)' : 'constraint p_pk primary key (id) deferrable'
        await test.exec(
          `create table p (id int, ${key}); create table c (id int primary key, p_id int); insert into p values (1), (2); insert into c values (1, 2)`,
        )
        const noAction = await createGuard({ db: test.db, relations: ['c(p_id) -> p(id) on update no action'] })
        const restrict = await createGuard({ db: test.db, relations: ['c(p_id) -> p(id) on update restrict'] })
        // InnoDB checks uniqueness row by row: shift from the top down there.
        const shift = (guard: typeof noAction) => {
          const update = guard.db.updateTable('p').set({ id: sql`id + 1` })
          return (dialect === 'mariadb' ? update.orderBy('id', 'desc') : update).execute()
        }
        await integrityFailure(shift(restrict))
        const result = shift(noAction)
        // InnoDB has no statement-end NO ACTION: there it behaves as RESTRICT.
        if (dialect === 'mariadb') await integrityFailure(result)
        else await result
        await noAction.close()
        await restrict.close()
      } finally {
        await test.drop()
      }
    })
  }
})

describe('deferrable relations', () => {
  for (const dialect of DIALECTS) {
    it(`${dialect}: checks at commit, and a violation aborts the commit`, async () => {
      const test = await createTestDatabase(dialect, 'deferred')
      try {
        await test.exec('create table p (id int primary key); create table c (id int primary key, p_id int)')
        const guard = await createGuard({ db: test.db, relations: ['c(p_id) -> p(id) deferrable initially deferred'] })
        await guard.db.transaction().execute(async (trx) => {
          await trx.insertInto('c').values({ id: 1, p_id: 1 }).execute()
          await trx.insertInto('p').values({ id: 1 }).execute()
        })
        const error = await integrityFailure(
          guard.db.transaction().execute(async (trx) => {
            await trx.insertInto('c').values({ id: 2, p_id: 2 }).execute()
          }),
        )
        expect(error.action).toBe('commit')
        expect((await sql<{ id: number }>`select id from c`.execute(test.db)).rows.map((row) => Number(row.id))).toEqual([1])
        await guard.close()
      } finally {
        await test.drop()
      }
    })
  }
})
