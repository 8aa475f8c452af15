import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config/errors.js'
import { resolveConfig } from '../src/config/normalize.js'
import { ConnectionError } from '../src/db/errors.js'
import { ReferentialIntegrityError, UnguardedWriteError } from '../src/enforce/errors.js'
import { createGuard, type Guard } from '../src/enforce/guard.js'
import { startWorker } from '../src/queue/worker.js'
import type { DatabasePair } from './crossdb/fixture.js'
import { startProxy } from './crossdb/proxy.js'
import { count, createSplitShop, crossOrphans, jobRows, QUEUED_RELATIONS } from './crossdb/queued.js'
import { runCli, writeTempFiles } from './support/cli.js'
import { seededRandom } from './support/random.js'
import type { TestDialect } from './support/databases.js'

/** Child engine, parent engine: two PostgreSQL databases, and PostgreSQL with MariaDB both ways round. */
const PAIRS: ReadonlyArray<readonly [TestDialect, TestDialect]> = [
  ['postgres', 'postgres'],
  ['mariadb', 'postgres'],
  ['postgres', 'mariadb'],
]
const SIZE = { customers: 40, orders: 20 }

/** Runs a worker serving the parent database until the queue is drained. */
async function drain(parentGuard: Guard): Promise<void> {
  const worker = await startWorker({ guard: parentGuard, once: true, batchSize: 7, pollMs: 20, backoffMs: 20 })
  const summary = await worker.stopped
  expect(summary.dead).toBe(0)
}

for (const [childDialect, parentDialect] of PAIRS) {
  describe(`queued cascades across databases: children on ${childDialect}, parents on ${parentDialect}`, () => {
    let pair: DatabasePair
    let parentGuard: Guard
    let childGuard: Guard

    beforeAll(async () => {
      pair = await createSplitShop(childDialect, parentDialect, 'xqueued', SIZE)
      const config = resolveConfig(pair.config(QUEUED_RELATIONS))
      childGuard = await createGuard(config)
      parentGuard = await createGuard(config, { database: 'billing' })
    })
    afterAll(async () => {
      await parentGuard?.close()
      await childGuard?.close()
      await pair?.drop()
    })

    it('a parent delete writes its jobs in the parent database in the same transaction, and the worker acts in the child database', async () => {
      const rolledBack = await parentGuard.db
        .transaction()
        .execute(async (trx) => {
          await trx.deleteFrom('customers').where('id', '=', 1).execute()
          throw new Error('changed my mind')
        })
        .catch((error: Error) => error.message)
      expect(rolledBack).toBe('changed my mind')
      expect(await jobRows(pair.parent)).toEqual([])
      expect(await count(pair.parent, 'customers', sql`id = 1`)).toBe(1)

      await parentGuard.db.deleteFrom('customers').where('id', 'in', [1, 2]).execute()
      expect(await jobRows(pair.parent)).toEqual([
        { relation: 'orders_customer', action: 'delete', state: 'pending', rows: 0 },
        { relation: 'payments_customer', action: 'delete', state: 'pending', rows: 0 },
      ])
      // The window: the children are still there, `check` counts them, and new children of the deleted keys are refused.
      expect(await crossOrphans(childGuard)).toEqual({ orders_customer: 2 * SIZE.orders, payments_customer: 2 })
      const refused = await childGuard.db
        .insertInto('orders')
        .values({ id: 100_000, customer_id: 1 })
        .execute()
        .catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(ReferentialIntegrityError)
      expect(refused).toMatchObject({ relation: 'orders_customer', sqlState: '23503', key: { customer_id: 1 } })
      // `status --database` reads the parent database's outbox, listing the relations whose jobs are written there.
      const dir = writeTempFiles({ 'refguard.config.json': JSON.stringify(pair.config(QUEUED_RELATIONS)) })
      const file = join(dir, 'refguard.config.json')
      const status = await runCli(['status', '--config', file, '--database', 'billing', '--json'])
      expect(status.code).toBe(0)
      const pending = JSON.parse(status.stdout).relations.map((entry: { relation: string; pending: number }) => [
        entry.relation,
        entry.pending,
      ])
      expect(pending).toEqual([
        ['orders_customer', 1],
        ['payments_customer', 1],
      ])
      const unknown = await runCli(['status', '--config', file, '--database', 'biling'])
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toContain('the config has no database "biling"')

      await drain(parentGuard)
      expect(await crossOrphans(childGuard)).toEqual({ orders_customer: 0, payments_customer: 0 })
      expect(await count(pair.child, 'orders', sql`customer_id in (1, 2)`)).toBe(0)
      // The inline grandchild relation ran inside the worker's batches.
      expect(await count(pair.child, 'order_lines', sql`order_id <= ${2 * SIZE.orders}`)).toBe(0)
      expect(await count(pair.child, 'payments', sql`id in (1, 2) and customer_id is null`)).toBe(2)
      // Nothing else went.
      expect(await count(pair.child, 'orders')).toBe((SIZE.customers - 2) * SIZE.orders)
      expect(await count(pair.child, 'order_lines')).toBe((SIZE.customers - 2) * SIZE.orders)
      expect(await count(pair.child, 'payments')).toBe(SIZE.customers)
      expect(await jobRows(pair.parent)).toEqual([
        { relation: 'orders_customer', action: 'delete', state: 'done', rows: 2 * SIZE.orders },
        { relation: 'payments_customer', action: 'delete', state: 'done', rows: 2 },
      ])
    })

    it('a parent re-inserted before the worker runs keeps its children', async () => {
      await parentGuard.db.deleteFrom('customers').where('id', 'in', [3, 4]).execute()
      await parentGuard.unguarded.insertInto('customers').values({ id: 3 }).execute()
      await drain(parentGuard)
      expect(await count(pair.child, 'orders', sql`customer_id = 3`)).toBe(SIZE.orders)
      expect(await count(pair.child, 'payments', sql`customer_id = 3`)).toBe(1)
      expect(await count(pair.child, 'orders', sql`customer_id = 4`)).toBe(0)
      expect(await count(pair.child, 'payments', sql`id = 4 and customer_id is null`)).toBe(1)
    })

    it('a parent key change moves the children (cascade) or nulls them (set null)', async () => {
      await parentGuard.db.updateTable('customers').set({ id: 1005 }).where('id', '=', 5).execute()
      await drain(parentGuard)
      expect(await count(pair.child, 'orders', sql`customer_id = 1005`)).toBe(SIZE.orders)
      expect(await count(pair.child, 'orders', sql`customer_id = 5`)).toBe(0)
      expect(await count(pair.child, 'payments', sql`id = 5 and customer_id is null`)).toBe(1)
      expect(await crossOrphans(childGuard)).toEqual({ orders_customer: 0, payments_customer: 0 })
    })

    it('a parent delete waits for an open child transaction that references the parent; the worker then removes the new child', async () => {
      let deleted = false
      let deleting: Promise<unknown> = Promise.resolve()
      await childGuard.db.transaction().execute(async (trx) => {
        await trx.insertInto('orders').values({ id: 150_000, customer_id: 6 }).execute()
        deleting = parentGuard.db
          .deleteFrom('customers')
          .where('id', '=', 6)
          .execute()
          .then(() => {
            deleted = true
          })
        await sleep(300)
        // The child transaction share-locked customer 6 in the parent database: the delete cannot commit before it.
        expect(deleted).toBe(false)
      })
      await deleting
      await drain(parentGuard)
      expect(await count(pair.child, 'orders', sql`customer_id = 6`)).toBe(0)
      expect(await crossOrphans(childGuard)).toEqual({ orders_customer: 0, payments_customer: 0 })
    })

    it('concurrent child inserts and parent deletes leave no orphan once the queue has drained', { timeout: 90_000 }, async () => {
      const worker = await startWorker({ guard: parentGuard, concurrency: 4, batchSize: 50, pollMs: 5, backoffMs: 20 })
      const random = seededRandom(childDialect === 'mariadb' ? 7 : parentDialect === 'mariadb' ? 8 : 9)
      const doomed = Array.from({ length: 16 }, (_, i) => i + 10)
      let nextId = 200_000
      let refused = 0
      let inserted = 0
      let deleting = true
      const writer = async () => {
        while (deleting) {
          const customer = doomed[Math.floor(random() * doomed.length)] as number
          const id = nextId++
          await childGuard.db
            .transaction()
            .execute(async (trx) => {
              await trx.insertInto('orders').values({ id, customer_id: customer }).execute()
              await trx.insertInto('order_lines').values({ id, order_id: id }).execute()
              // The application's own work in the transaction: the window in which a parent delete must wait.
              await sleep(random() * 100)
            })
            .then(
              () => inserted++,
              (error: unknown) => {
                if (!(error instanceof ReferentialIntegrityError)) throw error
                refused++
              },
            )
        }
      }
      const writers = Array.from({ length: 4 }, writer)
      for (const customer of doomed) {
        await sleep(10 + random() * 20)
        await parentGuard.db.deleteFrom('customers').where('id', '=', customer).execute()
      }
      await sleep(100)
      deleting = false
      await Promise.all(writers)
      await worker.stop()
      await drain(parentGuard)
      expect(inserted).toBeGreaterThan(0)
      expect(refused).toBeGreaterThan(0)
      expect(await crossOrphans(childGuard)).toEqual({ orders_customer: 0, payments_customer: 0 })
      expect(await count(pair.child, 'orders', sql`customer_id >= 10 and customer_id < 26`)).toBe(0)
      expect(await count(pair.child, 'order_lines', sql`id >= 200000`)).toBe(0)
    })

    it('refuses, in the parent database, a delete whose relation across databases is a check or inline', async () => {
      const restrict = {
        name: 'invoices_customer',
        child: { table: 'payments', columns: ['customer_id'] },
        parent: { database: 'billing', table: 'customers', columns: ['id'] },
        onDelete: 'restrict',
        onUpdate: 'cascade',
        mode: 'queued',
      }
      const guard = await createGuard(resolveConfig(pair.config([restrict])), { database: 'billing' })
      try {
        const failure = await guard.db
          .deleteFrom('customers')
          .where('id', '=', 30)
          .execute()
          .catch((error: unknown) => error)
        expect(failure).toBeInstanceOf(UnguardedWriteError)
        expect((failure as Error).message).toContain(
          'relation "invoices_customer": deleting a row of customers needs its ON DELETE RESTRICT check, and its children are in database "main": a check cannot wait for a worker',
        )
      } finally {
        await guard.close()
      }
      const inline = await createGuard(resolveConfig(pair.config([{ ...restrict, onDelete: 'cascade', mode: 'inline' }])), {
        database: 'billing',
      })
      try {
        const failure = await inline.db
          .deleteFrom('customers')
          .where('id', '=', 30)
          .execute()
          .catch((error: unknown) => error)
        expect((failure as Error).message).toContain('which an inline action cannot reach; give the relation mode "queued"')
      } finally {
        await inline.close()
      }
      expect(await count(pair.parent, 'customers', sql`id = 30`)).toBe(1)
      expect(await jobRows(pair.parent)).not.toContainEqual(expect.objectContaining({ relation: 'invoices_customer' }))

      const checksOnly = await createGuard(resolveConfig(pair.config([{ ...restrict, onUpdate: 'no action' }]))).catch(
        (error: unknown) => error,
      )
      expect(checksOnly).toBeInstanceOf(ConfigError)
      expect((checksOnly as Error).message).toContain('relation "invoices_customer": mode "queued" needs ON DELETE or ON UPDATE CASCADE')
      const scheduledConfig = {
        ...pair.config([{ ...restrict, onDelete: 'cascade', mode: 'scheduled' }]),
        softDelete: { customers: { column: 'id' } },
      }
      const scheduled = await createGuard(resolveConfig(scheduledConfig), { database: 'billing' }).catch((error: unknown) => error)
      expect(scheduled).toBeInstanceOf(ConfigError)
      expect((scheduled as Error).message).toContain('mode "scheduled" works inside one database')
    })

    it('refuses a child write, writing nothing, when the parent database is down', async () => {
      const proxy = await startProxy(Number(new URL(pair.parent.url).port))
      const guard = await createGuard(
        resolveConfig({
          ...pair.config(QUEUED_RELATIONS),
          databases: { main: { url: pair.child.url }, billing: { url: proxy.via(pair.parent.url) } },
        }),
      )
      try {
        await proxy.stop()
        const failure = await guard.db
          .insertInto('orders')
          .values({ id: 300_000, customer_id: 30 })
          .execute()
          .catch((error: unknown) => error)
        expect(failure).toBeInstanceOf(ConnectionError)
        expect((failure as Error).message).toContain('database "billing"')
        expect((failure as Error).message).toContain('relation "orders_customer"')
        expect(await count(pair.child, 'orders', sql`id = 300000`)).toBe(0)
      } finally {
        await guard.close()
      }
    })
  })
}
