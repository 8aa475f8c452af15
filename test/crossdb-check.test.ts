import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCheck } from '../src/audit/check.js'
import { ConfigError } from '../src/config/errors.js'
import { resolveConfig } from '../src/config/normalize.js'
import { compareCodePoints } from '../src/crossdb/key-codec.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { ConnectionError } from '../src/db/errors.js'
import { createDatabasePair, type DatabasePair, insertRows, PAIRS_WITH_PGLITE_PARENT, uuidType } from './crossdb/fixture.js'
import { runCli, writeTempFiles } from './support/cli.js'
import type { TestDialect } from './support/databases.js'

const CUSTOMERS = Array.from({ length: 50 }, (_, i) => i + 1)
/** Child i references customer i mod 60 (0 and 51..59 have no parent), every 13th has none. */
const ORDERS = Array.from({ length: 240 }, (_, i) => [i + 1, (i + 1) % 13 === 0 ? null : (i + 1) % 60])

/** Mixed case, accents, CJK, an astral character, a trailing space: compared exactly, whatever the collation. */
const ACCOUNTS = ['Alpha', 'émile', 'ZEBRA', '日本', 'straße', '😀']
const PAYMENTS = ['Alpha', 'alpha', 'emile', 'émile', 'zebra', 'ZEBRA', 'ZEBRA', '日本', 'strasse', '😀', null, 'Alpha ', 'ÉMILE']

const DEVICES = ['0b6c8a52-8f3e-4c1e-9a51-6f1f1c0d9a01', '3f2e1d0c-0000-4000-8000-000000000002', 'c0ffee00-1234-4abc-8def-0123456789ab']
const ABSENT_DEVICE = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd'

/** 64-bit keys past 2^53, where a JavaScript number can no longer tell 2^53 from 2^53 + 1. */
const BIG_ACCOUNTS = ['9007199254740993', '1152921504606846976', '42']
const LEDGER = ['9007199254740993', '9007199254740992', '1152921504606846976', '1152921504606846977', '42', null]

const REGIONS = [
  ['DE', 1],
  ['DE', 2],
  ['FR', 1],
]
const STORES = [
  ['DE', 1],
  ['DE', 3],
  ['FR', 1],
  ['fr', 1],
  [null, 1],
  [null, null],
  ['FR', null],
]
const BINS = [
  [1, 1],
  [1, 2],
  [2, 1],
  [3, 5],
]
const PLACEMENTS = [
  [1, 1],
  [1, 2],
  [1, 3],
  [2, 1],
  [2, 2],
  [3, 5],
  [3, 5],
  [4, 1],
  [null, 2],
]
const COMMENTS = [
  ['Customer', 1],
  ['Customer', 99],
  ['Post', 99],
  ['Customer', null],
]

const RELATIONS = [
  {
    name: 'orders_customer',
    child: { table: 'orders', columns: ['customer_id'] },
    parent: { database: 'billing', table: 'customers', columns: ['id'] },
  },
  {
    name: 'payments_account',
    child: { table: 'payments', columns: ['account_code'] },
    parent: { database: 'billing', table: 'accounts', columns: ['code'] },
  },
  {
    name: 'readings_device',
    child: { table: 'readings', columns: ['device_id'] },
    parent: { database: 'billing', table: 'devices', columns: ['id'] },
  },
  {
    name: 'stores_full',
    child: { table: 'stores', columns: ['country', 'region_code'] },
    parent: { database: 'billing', table: 'regions', columns: ['country', 'code'] },
    match: 'full',
  },
  {
    name: 'stores_simple',
    child: { table: 'stores', columns: ['country', 'region_code'] },
    parent: { database: 'billing', table: 'regions', columns: ['country', 'code'] },
  },
  {
    name: 'placements_bin',
    child: { table: 'placements', columns: ['a', 'b'] },
    parent: { database: 'billing', table: 'bins', columns: ['a', 'b'] },
  },
  {
    name: 'ledger_account',
    child: { table: 'ledger', columns: ['account'] },
    parent: { database: 'billing', table: 'big_accounts', columns: ['id'] },
  },
  {
    name: 'comments_customer',
    child: { table: 'comments', columns: ['commentable_id'], where: { commentable_type: 'Customer' } },
    parent: { database: 'billing', table: 'customers', columns: ['id'] },
  },
]

/** What the child's uuid column stores for a value: PostgreSQL's uuid type prints lower case. */
function storedUuid(value: string, child: TestDialect): string {
  return child === 'mariadb' ? value : value.toLowerCase()
}

function readingValues(child: TestDialect): string[] {
  return [
    DEVICES[0] as string,
    DEVICES[1] as string,
    (DEVICES[2] as string).toUpperCase(),
    ABSENT_DEVICE,
    ...(child === 'mariadb' ? ['not-a-uuid'] : []),
  ]
}

/** The oracle: [rows checked, orphans] per relation, by exact comparison (uuid: case-insensitive when either side is a uuid column). */
function expectedCounts(child: TestDialect, parent: TestDialect): Record<string, [number, number]> {
  const count = <T>(rows: T[], orphan: (row: T) => boolean): [number, number] => [rows.length, rows.filter(orphan).length]
  const customers = new Set(CUSTOMERS)
  const accounts = new Set(ACCOUNTS)
  const uuidSemantics = child !== 'mariadb' || parent !== 'mariadb'
  const normalize = (value: string) => (uuidSemantics ? value.toLowerCase() : value)
  const devices = new Set(DEVICES.map(normalize))
  const regions = new Set(REGIONS.map((key) => JSON.stringify(key)))
  const bins = new Set(BINS.map((key) => JSON.stringify(key)))
  const customerComments = COMMENTS.filter(([type]) => type === 'Customer')
  return {
    orders_customer: count(ORDERS, ([, id]) => id !== null && !customers.has(id as number)),
    payments_account: count(PAYMENTS, (code) => code !== null && !accounts.has(code)),
    readings_device: count(readingValues(child), (id) => !devices.has(normalize(storedUuid(id, child)))),
    stores_full: count(STORES, (key) => key.some((v) => v !== null) && !regions.has(JSON.stringify(key))),
    stores_simple: count(STORES, (key) => key.every((v) => v !== null) && !regions.has(JSON.stringify(key))),
    placements_bin: count(PLACEMENTS, (key) => key.every((v) => v !== null) && !bins.has(JSON.stringify(key))),
    comments_customer: count(customerComments, ([, id]) => id !== null && !customers.has(id as number)),
    ledger_account: count(LEDGER, (id) => id !== null && !BIG_ACCOUNTS.includes(id)),
  }
}

async function loadFixture(pair: DatabasePair): Promise<void> {
  const { child, parent } = pair
  await parent.exec(`
    create table customers (id int primary key, name varchar(20));
    create table accounts (code varchar(20) primary key);
    create table devices (id ${uuidType(parent.dialect)} primary key);
    create table regions (country char(2), code int, primary key (country, code));
    create table bins (a int, b int, primary key (a, b));
    create table big_accounts (id bigint primary key)`)
  await child.exec(`
    create table orders (id int primary key, customer_id int);
    create index orders_customer_id on orders (customer_id);
    create table payments (id int primary key, account_code varchar(20));
    create index payments_account_code on payments (account_code);
    create table readings (id int primary key, device_id ${uuidType(child.dialect)});
    create table stores (id int primary key, country char(2), region_code int);
    create table placements (id int primary key, a int, b int);
    create index placements_a_b on placements (a, b);
    create table comments (id int primary key, commentable_type varchar(20), commentable_id int);
    create table ledger (id int primary key, account bigint);
    create index ledger_account on ledger (account)`)
  await insertRows(
    parent,
    'customers',
    ['id', 'name'],
    CUSTOMERS.map((id) => [id, `customer ${id}`]),
  )
  await insertRows(
    parent,
    'accounts',
    ['code'],
    ACCOUNTS.map((code) => [code]),
  )
  await insertRows(
    parent,
    'devices',
    ['id'],
    DEVICES.map((id) => [id]),
  )
  await insertRows(parent, 'regions', ['country', 'code'], REGIONS)
  await insertRows(parent, 'bins', ['a', 'b'], BINS)
  await insertRows(
    parent,
    'big_accounts',
    ['id'],
    BIG_ACCOUNTS.map((id) => [id]),
  )
  await insertRows(
    child,
    'ledger',
    ['id', 'account'],
    LEDGER.map((account, i) => [i + 1, account]),
  )
  await insertRows(child, 'orders', ['id', 'customer_id'], ORDERS)
  await insertRows(
    child,
    'payments',
    ['id', 'account_code'],
    PAYMENTS.map((code, i) => [i + 1, code]),
  )
  await insertRows(
    child,
    'readings',
    ['id', 'device_id'],
    readingValues(child.dialect).map((id, i) => [i + 1, id]),
  )
  await insertRows(
    child,
    'stores',
    ['id', 'country', 'region_code'],
    STORES.map((key, i) => [i + 1, ...key]),
  )
  await insertRows(
    child,
    'placements',
    ['id', 'a', 'b'],
    PLACEMENTS.map((key, i) => [i + 1, ...key]),
  )
  await insertRows(
    child,
    'comments',
    ['id', 'commentable_type', 'commentable_id'],
    COMMENTS.map((row, i) => [i + 1, ...row]),
  )
}

describe('cross-database key comparison', () => {
  it('orders text by code point, astral characters after the rest of the BMP (as UTF-8 bytes do)', () => {
    const words = ['b', 'a', '\uE000', '😀', 'ä', 'B', 'a\u0000', '']
    const byBytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect([...words].sort(compareCodePoints)).toEqual(byBytes)
  })

  it('refuses a relation naming an unknown database, naming the relation and the known databases', () => {
    const failure = (() => {
      try {
        return resolveConfig({
          databases: { main: 'pglite://memory', billing: 'pglite://memory' },
          relations: [
            {
              name: 'orders_customer',
              child: { table: 'orders', columns: ['customer_id'] },
              parent: { database: 'biling', table: 'customers', columns: ['id'] },
            },
          ],
        })
      } catch (error) {
        return error
      }
    })()
    expect(failure).toBeInstanceOf(ConfigError)
    expect((failure as Error).message).toContain('relation "orders_customer"')
    expect((failure as Error).message).toContain('its parent table is in unknown database "biling" (did you mean "billing"?)')
    expect((failure as Error).message).toContain('main, billing')
    expect((failure as Error).message).toContain('relations[0].parent.database')
  })
})

for (const [childDialect, parentDialect] of PAIRS_WITH_PGLITE_PARENT) {
  describe(`check across databases: child on ${childDialect}, parent on ${parentDialect}`, () => {
    let pair: DatabasePair
    const expected = expectedCounts(childDialect, parentDialect)
    const check = (relations: unknown[], options = {}) => {
      const config = resolveConfig(pair.config(relations))
      return runCheck(config, new DatabaseSet(config, { main: pair.child.database, billing: pair.parent.database }), options)
    }

    beforeAll(async () => {
      pair = await createDatabasePair(childDialect, parentDialect, 'xcheck')
      await loadFixture(pair)
    })
    afterAll(() => pair?.drop())

    it('counts rows and orphans exactly: integer, text, uuid and composite keys, MATCH FULL, a polymorphic filter', async () => {
      const report = await check(RELATIONS)
      expect(Object.fromEntries(report.relations.map((r) => [r.name, [r.rowsChecked, r.orphans]]))).toEqual(expected)
      expect(report.complete).toBe(true)
      expect(report.ok).toBe(false)
      expect(report.relations.every((r) => r.scan.note?.includes('child keys from "main", parent keys from "billing"'))).toBe(true)
      expect(report.relations.find((r) => r.name === 'orders_customer')).toMatchObject({
        child: 'orders(customer_id)',
        parent: 'billing:customers(id)',
      })
    })

    it('gives the same counts when every page holds two keys, reporting progress page by page', async () => {
      const progress: Array<{ relation: string; rows: number }> = []
      const report = await check(RELATIONS, { chunkRows: 2, onProgress: (p: { relation: string; rows: number }) => progress.push(p) })
      expect(Object.fromEntries(report.relations.map((r) => [r.name, [r.rowsChecked, r.orphans]]))).toEqual(expected)
      const orders = report.relations.find((r) => r.name === 'orders_customer')
      // 60 distinct non-NULL keys, two per page.
      expect(orders?.scan.chunks).toBe(30)
      const rows = progress.filter((p) => p.relation === 'orders_customer').map((p) => p.rows)
      expect(rows).toHaveLength(30)
      expect(rows).toEqual([...rows].sort((a, b) => a - b))
      expect(rows[rows.length - 1]).toBe(orders?.rowsChecked)
    })

    it('stops at --max-time and reports the count incomplete', async () => {
      const report = await check([RELATIONS[0]], { chunkRows: 2, maxTimeMs: 0 })
      expect(report.complete).toBe(false)
      expect(report.relations[0]?.scan.note).toContain('stopped by --max-time')
      expect(report.relations[0]?.rowsChecked).toBeLessThan((expected.orders_customer as [number, number])[0])
    })

    it('samples the smallest orphaned keys and reports sentinel zeros apart, with repair as the fix', async () => {
      const report = await check(RELATIONS, { sample: 5 })
      const samples = Object.fromEntries(report.relations.map((r) => [r.name, r.samples]))
      expect(samples.orders_customer).toEqual([0, 51, 52, 53, 54].map((id) => ({ customer_id: id })))
      const textOrphans = PAYMENTS.filter((code): code is string => code !== null && !ACCOUNTS.includes(code)).sort()
      expect(samples.payments_account).toEqual(textOrphans.slice(0, 5).map((code) => ({ account_code: code })))
      expect(samples.stores_full).toContainEqual({ country: null, region_code: 1 })
      // Past 2^53 a sample is exact text: 2^53 is an orphan although 2^53 + 1 has a parent.
      expect(samples.ledger_account).toEqual([{ account: '9007199254740992' }, { account: '1152921504606846977' }])
      const sentinel = report.findings.find((f) => f.kind === 'sentinel' && f.relation === 'orders_customer')
      const zeros = ORDERS.filter(([, id]) => id === 0).length
      expect(sentinel).toMatchObject({ value: 0, count: zeros })
      const orphans = report.findings.find((f) => f.kind === 'orphans' && f.relation === 'orders_customer')
      expect(orphans?.count).toBe((expected.orders_customer as [number, number])[1] - zeros)
      expect(orphans?.fix).toContain('refguard repair --relation orders_customer --apply')
    })

    it('compares uuid with char(36) as uuids (two char(36) columns as text), with no type-mismatch error', async () => {
      const report = await check([RELATIONS[2]])
      const uuidSemantics = childDialect !== 'mariadb' || parentDialect !== 'mariadb'
      // Two char(36) columns are text, compared exactly: their case-insensitive collation earns the warning.
      const mismatches = report.findings.filter((f) => f.kind === 'type-mismatch').map((f) => f.severity)
      expect(mismatches).toEqual(uuidSemantics ? [] : ['warning'])
      const devices = DEVICES.map((id) => (uuidSemantics ? id.toLowerCase() : id))
      const orphans = readingValues(childDialect)
        .map((id) => storedUuid(id, childDialect))
        .filter((id) => !devices.includes(uuidSemantics ? id.toLowerCase() : id))
        .sort()
      expect(report.relations[0]?.samples).toEqual(orphans.map((id) => ({ device_id: id })))
    })

    it('warns that text keys in a case-insensitive collation are compared exactly across databases', async () => {
      const report = await check([RELATIONS[1]])
      const warnings = report.findings.filter((f) => f.kind === 'type-mismatch')
      // MariaDB's default collation, utf8mb4_general_ci, is case-insensitive; PostgreSQL's are not.
      const caseInsensitive = childDialect === 'mariadb' || parentDialect === 'mariadb'
      expect(warnings.map((f) => [f.severity, f.relation])).toEqual(caseInsensitive ? [['warning', 'payments_account']] : [])
      if (caseInsensitive)
        expect(warnings[0]?.message).toContain("refguard compares keys exactly: a child 'abc' does not match a parent 'ABC'")
    })

    it('refuses to count keys that cannot be compared across engines, with a clear finding', async () => {
      const report = await check([
        {
          name: 'orders_device',
          child: { table: 'orders', columns: ['customer_id'] },
          parent: { database: 'billing', table: 'devices', columns: ['id'] },
        },
      ])
      const [result] = report.relations
      expect(result?.scan.mode).toBe('skipped')
      expect(result?.scan.note).toContain('not counted: orders.customer_id (int')
      expect(report.complete).toBe(false)
      const finding = report.findings.find((f) => f.kind === 'type-mismatch')
      expect(finding).toMatchObject({ severity: 'error', relation: 'orders_device' })
      expect(finding?.message).toContain('(child in database "main", parent in "billing")')
      expect(finding?.fix).toContain('give both columns the same kind of type')
    })

    it('stops with a connection error naming the parent database when it is down', async () => {
      const config = resolveConfig({
        databases: {
          main: { url: pair.child.url },
          billing: { url: parentDialect === 'mariadb' ? 'mysql://root@127.0.0.1:1/gone' : 'postgres://postgres@127.0.0.1:1/gone' },
        },
        relations: [RELATIONS[0]],
      })
      const databases = new DatabaseSet(config, { main: pair.child.database })
      const failure = await runCheck(config, databases).catch((error) => error)
      await databases.close()
      expect(failure).toBeInstanceOf(ConnectionError)
      expect(failure.message).toContain('cannot connect to database "billing"')
    })

    describe('through the CLI', () => {
      let dir: string
      beforeAll(async () => {
        await pair.child.disconnect()
        await pair.parent.disconnect()
        const down = {
          ...pair.config(RELATIONS),
          databases: { main: { url: pair.child.url }, billing: { url: 'postgres://postgres@127.0.0.1:1/gone' } },
        }
        dir = writeTempFiles({ 'refguard.config.json': JSON.stringify(pair.config(RELATIONS)), 'down.json': JSON.stringify(down) })
      })

      it('prints the check --json shape with exact counts and exits 1', async () => {
        const result = await runCli(['check', '--json', '--config', join(dir, 'refguard.config.json')])
        expect(result.code).toBe(1)
        const report = JSON.parse(result.stdout)
        expect(Object.keys(report)).toEqual(['ok', 'complete', 'relations', 'findings', 'fixOrder', 'ms'])
        expect(Object.fromEntries(report.relations.map((r: any) => [r.name, [r.rowsChecked, r.orphans]]))).toEqual(expected)
        expect(result.stderr).toBe('')
      })

      it('exits 2 with a connection error naming the parent database when it is down', async () => {
        const result = await runCli(['check', '--json', '--config', join(dir, 'down.json')])
        expect(result.code).toBe(2)
        expect(result.stderr).toContain('cannot connect to database "billing"')
        expect(JSON.parse(result.stdout).error.type).toBe('connection')
      })
    })
  })
}
