import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config/errors.js'
import { resolveConfig } from '../src/config/normalize.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { ConnectionError } from '../src/db/errors.js'
import { ReferentialIntegrityError } from '../src/enforce/errors.js'
import { createGuard } from '../src/enforce/guard.js'
import { type RemoteParents, remoteParentsFor } from '../src/enforce/remote-parent.js'
import type { TransactionState } from '../src/enforce/runner.js'
import type { Relation } from '../src/model/relation.js'
import { createDatabasePair, type DatabasePair, insertRows, PAIRS_WITH_PGLITE_PARENT, uuidType } from './crossdb/fixture.js'
import { startProxy } from './crossdb/proxy.js'
import type { TestDialect } from './support/databases.js'

const DEVICE = 'c0ffee00-1234-4abc-8def-0123456789ab'
const RELATIONS = [
  {
    name: 'orders_customer',
    child: { table: 'orders', columns: ['customer_id'] },
    parent: { database: 'billing', table: 'customers', columns: ['id'] },
  },
  {
    name: 'readings_device',
    child: { table: 'readings', columns: ['device_id'] },
    parent: { database: 'billing', table: 'devices', columns: ['id'] },
  },
]

function transaction(): TransactionState {
  return { active: true, deferred: [], ownRows: new Map() }
}

/** Deletes a customer on its own connection, waiting at most about a second for locks; resolves to the error, if any. */
async function deleteCustomer(db: Kysely<any>, dialect: TestDialect, id: number): Promise<unknown> {
  return db
    .connection()
    .execute(async (connection) => {
      if (dialect === 'mariadb') await sql`set session innodb_lock_wait_timeout = 1`.execute(connection)
      else await sql`set lock_timeout = '1s'`.execute(connection)
      await sql`delete from customers where id = ${id}`.execute(connection)
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    )
}

async function customerExists(db: Kysely<any>, id: number): Promise<boolean> {
  const { rows } = await sql`select 1 from customers where id = ${id}`.execute(db)
  return rows.length > 0
}

for (const [childDialect, parentDialect] of PAIRS_WITH_PGLITE_PARENT) {
  describe(`parent checks across databases: child on ${childDialect}, parent on ${parentDialect}`, () => {
    let pair: DatabasePair
    let databases: DatabaseSet
    let remote: RemoteParents
    let relations: Relation[]

    const remoteFor = async (config: ReturnType<typeof resolveConfig>, set: DatabaseSet) => {
      const childSchema = await pair.child.database.introspect()
      return remoteParentsFor(config.relations, childSchema, set)
    }

    beforeAll(async () => {
      pair = await createDatabasePair(childDialect, parentDialect, 'xenforce')
      await pair.parent.exec(
        `create table customers (id int primary key); create table devices (id ${uuidType(parentDialect)} primary key)`,
      )
      await pair.child.exec(
        `create table orders (id int primary key, customer_id int); create table readings (id int primary key, device_id ${uuidType(childDialect)})`,
      )
      await insertRows(
        pair.parent,
        'customers',
        ['id'],
        [1, 2, 3, 4, 5, 6].map((id) => [id]),
      )
      await insertRows(pair.parent, 'devices', ['id'], [[DEVICE]])
      const config = resolveConfig(pair.config(RELATIONS))
      relations = config.relations
      databases = new DatabaseSet(config, { main: pair.child.database })
      remote = (await remoteFor(config, databases)) as RemoteParents
    })
    afterAll(async () => {
      await databases?.close()
      await pair?.drop()
    })

    it('accepts keys whose parents exist and refuses a missing one with the database-style error', async () => {
      const tx = transaction()
      await remote.check(tx, relations[0] as Relation, [[1], [2], [3]], 'insert')
      const failure = await remote.check(tx, relations[0] as Relation, [[2], [999]], 'insert').catch((error) => error)
      await remote.finish(tx)
      expect(failure).toBeInstanceOf(ReferentialIntegrityError)
      expect(failure.message).toBe(
        'insert or update on table "orders" violates relation "orders_customer": key (customer_id)=(999) is not present in table "customers"',
      )
      expect(failure).toMatchObject({ relation: 'orders_customer', sqlState: '23503', key: { customer_id: 999 } })
    })

    // PGlite has one connection: a parent transaction held open would block every other use of the parent database.
    if (parentDialect === 'pglite') {
      it('reads a PGlite parent without holding a lock, inside a transaction too', async () => {
        const tx = transaction()
        await remote.check(tx, relations[0] as Relation, [[5]], 'insert')
        await sql`delete from customers where id = 5`.execute(pair.parent.db)
        expect(await customerExists(pair.parent.db, 5)).toBe(false)
        await remote.finish(tx)
      })
    } else {
      it('holds the parents share-locked until the child transaction ends', async () => {
        const tx = transaction()
        await remote.check(tx, relations[0] as Relation, [[5]], 'insert')
        const blocked = await deleteCustomer(pair.parent.db, parentDialect, 5)
        // PostgreSQL: lock_not_available; MariaDB: lock wait timeout.
        expect(['55P03', 'ER_LOCK_WAIT_TIMEOUT']).toContain((blocked as { code?: string }).code)
        expect(await customerExists(pair.parent.db, 5)).toBe(true)
        await remote.finish(tx)
        expect(await deleteCustomer(pair.parent.db, parentDialect, 5)).toBeUndefined()
        expect(await customerExists(pair.parent.db, 5)).toBe(false)
      })
    }

    it('outside a transaction reads without holding a lock', async () => {
      await remote.check(undefined, relations[0] as Relation, [[6]], 'insert')
      expect(await deleteCustomer(pair.parent.db, parentDialect, 6)).toBeUndefined()
    })

    it('compares uuid keys with char(36) keys as uuids', async () => {
      const tx = transaction()
      const upper = remote.check(tx, relations[1] as Relation, [[DEVICE.toUpperCase()]], 'insert').then(
        () => 'accepted',
        (error: unknown) => (error instanceof ReferentialIntegrityError ? 'refused' : error),
      )
      const outcome = await upper
      await remote.check(tx, relations[1] as Relation, [[DEVICE]], 'insert')
      await remote.finish(tx)
      // Two char(36) columns compare as text, exactly; a uuid column on either side compares uuids.
      expect(outcome).toBe(childDialect === 'mariadb' && parentDialect === 'mariadb' ? 'refused' : 'accepted')
    })

    // Cutting the connection needs a server behind a proxy; an in-process PGlite has none.
    if (parentDialect !== 'pglite')
      it('refuses the write with a connection error naming the parent database when it is down', async () => {
        const proxy = await startProxy(Number(new URL(pair.parent.url).port))
        const config = resolveConfig({
          ...pair.config(RELATIONS),
          databases: { main: { url: pair.child.url }, billing: { url: proxy.via(pair.parent.url) } },
        })
        const set = new DatabaseSet(config, { main: pair.child.database })
        try {
          const checks = (await remoteFor(config, set)) as RemoteParents
          await proxy.stop()
          const tx = transaction()
          const failure = await checks.check(tx, relations[0] as Relation, [[1]], 'insert').catch((error) => error)
          await checks.finish(tx)
          expect(failure).toBeInstanceOf(ConnectionError)
          expect(failure.message).toContain('database "billing"')
          expect(failure.message).toContain('relation "orders_customer"')
        } finally {
          await set.close()
        }
      })

    // createGuard opens the databases itself, and a PGlite database opened twice in one process is not supported.
    if (childDialect !== 'pglite' && parentDialect !== 'pglite') {
      it('guard.db checks child writes against the parent database and, in a transaction, holds the parent until commit', async () => {
        const guard = await createGuard(resolveConfig(pair.config(RELATIONS)))
        try {
          await guard.db.insertInto('orders').values({ id: 100, customer_id: 1 }).execute()
          const refused = await guard.db
            .insertInto('orders')
            .values({ id: 101, customer_id: 999 })
            .execute()
            .catch((error: unknown) => error)
          expect(refused).toBeInstanceOf(ReferentialIntegrityError)
          expect(refused).toMatchObject({ relation: 'orders_customer', key: { customer_id: 999 } })
          await guard.db.transaction().execute(async (trx) => {
            await trx.insertInto('orders').values({ id: 102, customer_id: 3 }).execute()
            const blocked = await deleteCustomer(pair.parent.db, parentDialect, 3)
            expect(['55P03', 'ER_LOCK_WAIT_TIMEOUT']).toContain((blocked as { code?: string }).code)
          })
          // Committed: the parent transaction ended with the child's, and its lock with it.
          expect(await deleteCustomer(pair.parent.db, parentDialect, 3)).toBeUndefined()
          const rows = await sql<{ id: unknown }>`select id from orders where id >= 100 order by id`.execute(pair.child.db)
          expect(rows.rows.map((row) => Number(row.id))).toEqual([100, 102])
        } finally {
          await guard.close()
          await sql`delete from orders where id >= 100`.execute(pair.child.db)
        }
      })

      it('createGuard refuses a queued relation across databases with nothing to queue, naming it', async () => {
        const queued = RELATIONS.map((relation) => ({ ...relation, onDelete: 'restrict', mode: 'queued' }))
        const failure = await createGuard(resolveConfig(pair.config(queued))).catch((error: unknown) => error)
        expect(failure).toBeInstanceOf(ConfigError)
        expect((failure as Error).message).toContain('relation "orders_customer": mode "queued" needs ON DELETE or ON UPDATE CASCADE')
      })
    }

    it('refuses, when the guard is made, a relation whose keys cannot be compared across engines', async () => {
      const config = resolveConfig(
        pair.config([
          {
            name: 'orders_device',
            child: { table: 'orders', columns: ['customer_id'] },
            parent: { database: 'billing', table: 'devices', columns: ['id'] },
          },
        ]),
      )
      const set = new DatabaseSet(config, { main: pair.child.database, billing: pair.parent.database })
      const failure = await remoteFor(config, set).catch((error) => error)
      expect(failure).toBeInstanceOf(ConfigError)
      expect(failure.message).toContain('relation "orders_device": orders.customer_id (int')
    })
  })
}
