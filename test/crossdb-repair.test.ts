import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { runCheck } from '../src/audit/check.js'
import { type ResolvedConfig, resolveConfig } from '../src/config/normalize.js'
import { ConnectionError } from '../src/db/errors.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { UsageError } from '../src/errors.js'
import { type RepairOptions, runRepair } from '../src/repair/repair.js'
import { runRestore } from '../src/repair/restore.js'
import { createDatabasePair, type DatabasePair, insertRows, PAIRS } from './crossdb/fixture.js'
import { startProxy } from './crossdb/proxy.js'
import { archiveEntries } from './support/archive.js'
import { runCli, writeTempFiles } from './support/cli.js'

const CUSTOMERS = Array.from({ length: 50 }, (_, i) => i + 1)
/** Order i belongs to customer i mod 60: 51..59 have no customer, 0 is a sentinel (no customer meant), every 13th has none. */
const ORDERS = Array.from({ length: 240 }, (_, i) => [i + 1, (i + 1) % 13 === 0 ? null : (i + 1) % 60])
/** A line for every fifth order, and two for an order that never existed. */
const LINES = [...Array.from({ length: 48 }, (_, i) => [i + 1, (i + 1) * 5]), [49, 999], [50, 999]]
const ACCOUNTS = ['Alpha', 'émile', 'ZEBRA', '日本']
const REGIONS = [
  ['DE', 1],
  ['FR', 1],
]
/** MATCH FULL: a key mixing NULL and non-NULL is an orphan too; ('fr', 1) differs from ('FR', 1) in case. */
const SHIPMENTS = [
  ['DE', 1],
  ['DE', 3],
  ['fr', 1],
  [null, 1],
  [null, null],
  ['FR', null],
  ['FR', 1],
]
const PAYMENTS = ['Alpha', 'alpha', 'émile', 'ÉMILE', 'zebra', 'ZEBRA', '日本', 'Alpha ', null]

const RELATIONS = [
  {
    name: 'orders_customer',
    child: { table: 'orders', columns: ['customer_id'] },
    parent: { database: 'billing', table: 'customers', columns: ['id'] },
    onDelete: 'cascade',
  },
  {
    name: 'payments_account',
    child: { table: 'payments', columns: ['account_code'] },
    parent: { database: 'billing', table: 'accounts', columns: ['code'] },
    onDelete: 'set null',
  },
  'order_lines(order_id) -> orders(id) on delete cascade',
  {
    name: 'shipments_region',
    child: { table: 'shipments', columns: ['country', 'region_code'] },
    parent: { database: 'billing', table: 'regions', columns: ['country', 'code'] },
    match: 'full',
    onDelete: 'cascade',
  },
]

const orphanCustomer = (id: unknown) => id !== null && id !== 0 && !CUSTOMERS.includes(id as number)
const orphanAccount = (code: unknown) => code !== null && !ACCOUNTS.includes(code as string)

async function ids(db: Kysely<any>, table: string, where = sql`1 = 1`): Promise<number[]> {
  const { rows } = await sql<{ id: unknown }>`select id from ${sql.id(table)} where ${where} order by id`.execute(db)
  return rows.map((row) => Number(row.id))
}

/** Every row of the child tables, in primary key order, as JSON. */
async function childContents(db: Kysely<any>): Promise<Record<string, string[]>> {
  const contents: Record<string, string[]> = {}
  for (const table of ['orders', 'payments', 'order_lines', 'shipments']) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.id(table)} order by id`.execute(db)
    contents[table] = rows.map((row) =>
      JSON.stringify(Object.entries(row).map(([key, value]) => [key, value === null ? null : String(value)])),
    )
  }
  return contents
}

for (const [childDialect, parentDialect] of PAIRS) {
  describe(`repair across databases: child on ${childDialect}, parent on ${parentDialect}`, () => {
    let pair: DatabasePair
    let config: ResolvedConfig
    let original: Record<string, string[]>
    const databasesFor = (resolved: ResolvedConfig) => new DatabaseSet(resolved, { main: pair.child.database })
    const repair = async (options: RepairOptions, resolved = config) => {
      const databases = databasesFor(resolved)
      try {
        return await runRepair(resolved, databases, options)
      } finally {
        await databases.close()
      }
    }
    const orphansLeft = async () => {
      const databases = databasesFor(config)
      try {
        const report = await runCheck(config, databases)
        return Object.fromEntries(report.relations.filter((r) => r.orphans > 0).map((r) => [r.name, r.orphans]))
      } finally {
        await databases.close()
      }
    }

    /** The fixture, afresh: child tables (and refguard's) dropped and loaded again, the parents reset. */
    const reset = async () => {
      for (const table of ['orders', 'payments', 'order_lines', 'shipments', 'refguard_archive', 'refguard_runs']) {
        await sql`drop table if exists ${sql.id(table)}`.execute(pair.child.db)
      }
      await pair.child.exec(`
        create table orders (id int primary key, customer_id int, note varchar(20));
        create index orders_customer_id on orders (customer_id);
        create table payments (id int primary key, account_code varchar(20));
        create index payments_account_code on payments (account_code);
        create table order_lines (id int primary key, order_id int);
        create index order_lines_order_id on order_lines (order_id);
        create table shipments (id int primary key, country char(2), region_code int)`)
      await insertRows(
        pair.child,
        'orders',
        ['id', 'customer_id', 'note'],
        ORDERS.map(([id, customer]) => [id, customer, `order ${id}`]),
      )
      await insertRows(
        pair.child,
        'payments',
        ['id', 'account_code'],
        PAYMENTS.map((code, i) => [i + 1, code]),
      )
      await insertRows(pair.child, 'order_lines', ['id', 'order_id'], LINES)
      await insertRows(
        pair.child,
        'shipments',
        ['id', 'country', 'region_code'],
        SHIPMENTS.map((key, i) => [i + 1, ...key]),
      )
      await sql`delete from customers`.execute(pair.parent.db)
      await insertRows(
        pair.parent,
        'customers',
        ['id'],
        CUSTOMERS.map((id) => [id]),
      )
    }

    beforeAll(async () => {
      pair = await createDatabasePair(childDialect, parentDialect, 'xrepair')
      await pair.parent.exec(`create table customers (id int primary key); create table accounts (code varchar(20) primary key);
        create table regions (country char(2), code int, primary key (country, code))`)
      await insertRows(pair.parent, 'regions', ['country', 'code'], REGIONS)
      await insertRows(
        pair.parent,
        'accounts',
        ['code'],
        ACCOUNTS.map((code) => [code]),
      )
      config = resolveConfig(pair.config(RELATIONS))
    })
    afterAll(() => pair?.drop())
    beforeEach(async () => {
      await reset()
      original = await childContents(pair.child.db)
    })

    it('deletes, nulls and archives exactly the orphans, then the orphans that made below, and restores them all', async () => {
      const report = await repair({ apply: true, batchSize: 7 })
      expect(report).toMatchObject({ applied: true, complete: true, remainingOrphans: 0 })
      const orphanOrders = ORDERS.filter(([, customer]) => orphanCustomer(customer)).map(([id]) => id as number)
      const orphanLines = LINES.filter(([, order]) => order === 999 || orphanOrders.includes(order as number)).map(([id]) => id as number)
      const orphanPayments = PAYMENTS.flatMap((code, i) => (orphanAccount(code) ? [i + 1] : []))
      expect(await ids(pair.child.db, 'orders')).toEqual(ORDERS.map(([id]) => id).filter((id) => !orphanOrders.includes(id as number)))
      expect(await ids(pair.child.db, 'orders', sql`customer_id = 0`)).toEqual([])
      expect(await ids(pair.child.db, 'order_lines')).toEqual(LINES.map(([id]) => id).filter((id) => !orphanLines.includes(id as number)))
      expect(await ids(pair.child.db, 'payments', sql`account_code is null`)).toEqual(
        [...orphanPayments, PAYMENTS.length].sort((a, b) => a - b),
      )
      const regions = REGIONS.map((key) => JSON.stringify(key))
      const orphanShipments = SHIPMENTS.flatMap((key, i) =>
        key.some((v) => v !== null) && !regions.includes(JSON.stringify(key)) ? [i + 1] : [],
      )
      expect(await ids(pair.child.db, 'shipments')).toEqual(SHIPMENTS.map((_, i) => i + 1).filter((id) => !orphanShipments.includes(id)))
      expect(orphanShipments).toHaveLength(4)
      expect(await orphansLeft()).toEqual({})

      const zeros = ORDERS.filter(([, customer]) => customer === 0).length
      expect(report.changed).toBe(orphanOrders.length + orphanLines.length + orphanPayments.length + orphanShipments.length + zeros)
      expect(report.archived).toBe(report.changed)
      expect(await archiveEntries(pair.child.db)).toHaveLength(report.changed)
      const parentArchive = await sql`select 1 from refguard_archive`.execute(pair.parent.db).catch(() => undefined)
      expect(parentArchive).toBeUndefined()

      const databases = databasesFor(config)
      try {
        await runRestore(config, databases, report.runId as string, { apply: true })
      } finally {
        await databases.close()
      }
      expect(await childContents(pair.child.db)).toEqual(original)
    })

    it('re-reads the parent database in every batch: a parent that appears during the repair keeps its children', async () => {
      let calls = 0
      let inserted = false
      const report = await repair({
        apply: true,
        batchSize: 5,
        relations: ['orders_customer'],
        // The first progress call ends the sentinel step's one batch, the second the orphan step's first batch
        // (customer 51): the anti-join has found customer 59 missing by then.
        onProgress: (progress) => {
          if (progress.relation === 'orders_customer') calls++
        },
        // Awaited before every batch: customer 59 appears before the orphan step's second batch.
        replica: {
          maxLagSeconds: 1,
          readLag: async () => {
            if (calls >= 2 && !inserted) {
              await insertRows(pair.parent, 'customers', ['id'], [[59]])
              inserted = true
            }
            return 0
          },
        },
      })
      expect(calls).toBeGreaterThan(2)
      const of59 = ORDERS.filter(([, customer]) => customer === 59).map(([id]) => id)
      expect(await ids(pair.child.db, 'orders', sql`customer_id = 59`)).toEqual(of59)
      expect(await ids(pair.child.db, 'orders', sql`customer_id between 51 and 58`)).toEqual([])
      expect(report).toMatchObject({ complete: true, remainingOrphans: 0 })
    })

    it('stops before any change when the parent database is down, naming it', async () => {
      const down = resolveConfig({
        ...pair.config(RELATIONS),
        databases: {
          main: { url: pair.child.url },
          billing: { url: parentDialect === 'mariadb' ? 'mysql://root@127.0.0.1:1/gone' : 'postgres://postgres@127.0.0.1:1/gone' },
        },
      })
      const failure = await repair({ apply: true }, down).catch((error) => error)
      expect(failure).toBeInstanceOf(ConnectionError)
      expect(failure.message).toContain('cannot connect to database "billing"')
      expect(await childContents(pair.child.db)).toEqual(original)
      const runs = await sql`select 1 from refguard_runs`.execute(pair.child.db).catch(() => undefined)
      expect(runs?.rows ?? []).toEqual([])
    })

    it('rolls back the batch when the parent database goes down mid-run, and resumes once it is back', async () => {
      const proxy = await startProxy(Number(new URL(pair.parent.url).port || (parentDialect === 'mariadb' ? 3306 : 5432)))
      const viaProxy = resolveConfig({
        ...pair.config(RELATIONS),
        databases: { main: { url: pair.child.url }, billing: { url: proxy.via(pair.parent.url) } },
      })
      let stopped: Promise<void> | undefined
      const failure = await repair(
        {
          apply: true,
          batchSize: 3,
          relations: ['orders_customer'],
          onProgress: () => {
            stopped ??= proxy.stop()
          },
        },
        viaProxy,
      ).catch((error) => error)
      await stopped
      expect(failure).toBeInstanceOf(ConnectionError)
      expect(failure.message).toContain('database "billing"')
      expect(failure.message).toContain('relation "orders_customer"')
      // Nothing half-done: every row the committed batches took is in the archive, and no other row changed.
      const entries = await archiveEntries(pair.child.db)
      const runIds = [...new Set(entries.map((entry) => entry.runId))]
      expect(runIds).toHaveLength(1)
      const after = await childContents(pair.child.db)
      const changed = (original.orders as string[]).filter((row) => !(after.orders as string[]).includes(row)).length
      expect(changed).toBe(entries.length)
      expect(changed).toBeGreaterThan(0)

      const resumed = await repair({ apply: true, resume: runIds[0] as string })
      expect(resumed).toMatchObject({ complete: true, remainingOrphans: 0 })
      expect((await orphansLeft()).orders_customer).toBeUndefined()
    })

    it('refuses strategy set-default across databases before any change', async () => {
      const failure = await repair({ apply: true, strategies: { orders_customer: 'set-default' } }).catch((error) => error)
      expect(failure).toBeInstanceOf(UsageError)
      expect(failure.message).toContain('strategy set-default is not available when the parent table is in another database ("billing")')
      expect(await childContents(pair.child.db)).toEqual(original)
    })

    it('repairs through the CLI: repair --apply --json, then check exits 0', async () => {
      await pair.child.disconnect()
      const dir = writeTempFiles({ 'refguard.config.json': JSON.stringify(pair.config(RELATIONS)) })
      const file = join(dir, 'refguard.config.json')
      const repaired = await runCli(['repair', '--apply', '--json', '--config', file])
      expect(repaired.stderr).toBe('')
      expect(repaired.code).toBe(0)
      expect(JSON.parse(repaired.stdout)).toMatchObject({ applied: true, complete: true, remainingOrphans: 0 })
      const checked = await runCli(['check', '--json', '--config', file])
      expect(JSON.parse(checked.stdout).relations.map((r: { orphans: number }) => r.orphans)).toEqual([0, 0, 0, 0])
      expect(checked.code).toBe(0)
    })
  })
}
