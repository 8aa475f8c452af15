import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CheckOptions, runCheck } from '../src/audit/check.js'
import { resolveConfig } from '../src/config/normalize.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { AUDIT_FIXTURE, AUDIT_RELATIONS, EXPECTED_FINDINGS, EXPECTED_RELATIONS } from './audit/fixture.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

const HUGE_KEY = 'x'.repeat(100_000)

for (const dialect of DIALECTS) {
  describe(`audit on ${dialect}`, () => {
    let test: TestDatabase
    const check = (relations: unknown[], options: CheckOptions = {}) => {
      const config = resolveConfig({ databases: { main: test.url }, relations })
      return runCheck(config, new DatabaseSet(config, { main: test.database }), options)
    }

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'audit')
      await test.exec(AUDIT_FIXTURE)
      await test.exec(`
        create table loose_refs (region_id int);
        insert into loose_refs values (1), (7), (null);
        create view customer_regions as select id, region_id from customers;
        create table labels (code varchar(100) primary key);
        create table labelled (id int primary key, label ${dialect === 'mariadb' ? 'longtext' : 'text'});
        insert into labels values ('a');
        insert into labelled values (1, 'a'), (2, '${HUGE_KEY}');
        create table spots (id int primary key);
        create table scattered (id int primary key, spot_id int);
        insert into spots values (1);
        insert into scattered values (1, 900), (2, 1), (3, 800), (4, 1), (5, 700)`)
      await test.exec(dialect === 'mariadb' ? 'analyze table customers, orders, order_items, notes, declared_child' : 'analyze')
    })
    afterAll(() => test?.drop())

    it('finds exactly the known findings of every kind, in fix order', async () => {
      const report = await check(AUDIT_RELATIONS)
      expect(report.relations.map((r) => [r.name, r.rowsChecked, r.orphans, r.level])).toEqual(EXPECTED_RELATIONS)
      expect(report.findings.map((f) => [f.kind, f.severity, f.relation, f.count])).toEqual(EXPECTED_FINDINGS)
      expect(report.fixOrder).toEqual(EXPECTED_RELATIONS.map(([name]) => name))
      expect(report.ok).toBe(false)
      expect(report.complete).toBe(true)
    })

    it('explains each finding with the numbers a fix needs', async () => {
      const report = await check(AUDIT_RELATIONS)
      const find = (kind: string, relation: string) => report.findings.find((f) => f.kind === kind && f.relation === relation)
      expect(find('sentinel', 'customers_region_id_fkey')).toMatchObject({ value: 0, column: 'region_id' })
      expect(find('sentinel', 'customers_region_id_fkey')?.fix).toMatch(
        /NULL[\s\S]*;\nUPDATE customers SET region_id = NULL WHERE region_id = 0;$/,
      )
      expect(find('nullability', 'customers_region_id_fkey')?.message).toContain('SET NULL on NOT NULL column customers.region_id')
      expect(find('type-mismatch', 'orders_customer_id_fkey')?.message).toMatch(
        /orders\.customer_id is smallint.* but customers\.id is int/,
      )
      expect(find('missing-index', 'orders_customer_id_fkey')?.fix).toMatch(/orders_customer_id_idx.*\(customer_id\)/)
      expect(find('duplicate-constraint', 'declared_child_parent_id_fkey')?.message).toContain('FOREIGN KEY declared_fk')
      expect(find('cycle', 'ring_a_b_id_fkey')?.message).toMatch(/ring_a, ring_b|ring_b, ring_a/)
      const customers = report.relations.find((r) => r.name === 'customers_region_id_fkey')
      expect(customers?.share).toBeCloseTo(4 / 6)
      expect(customers?.samples).toEqual([{ region_id: 0 }, { region_id: 99 }])
      const orders = report.relations.find((r) => r.name === 'orders_customer_id_fkey')
      expect(orders?.downstream).toEqual([{ relation: 'order_items_order_id_fkey', rows: 3 }])
      expect(find('orphans', 'orders_customer_id_fkey')?.message).toContain(
        'deleting them orphans 3 row(s) of relation "order_items_order_id_fkey"',
      )
    })

    it('the orphan fix leaves sentinel rows to the sentinel fix', async () => {
      const report = await check(['customers(region_id) -> regions(id)'])
      const fix = report.findings.find((f) => f.kind === 'orphans')?.fix as string
      const copy = await createTestDatabase(dialect, 'auditfix')
      try {
        await copy.exec(AUDIT_FIXTURE)
        await sql.raw(fix).execute(copy.db)
        const left = await sql<{ id: unknown }>`select id from customers order by id`.execute(copy.db)
        expect(left.rows.map((row) => Number(row.id))).toEqual([1, 2, 3, 4, 6])
      } finally {
        await copy.drop()
      }
    })

    it('counts the same in chunks as in one statement: reference ranges, integer and composite primary keys', async () => {
      const relations = [...AUDIT_RELATIONS, 'constraint items_line order_items(line) -> regions(id)']
      const whole = await check(relations)
      const chunked = await check(relations, { chunkRows: 2 })
      const counts = (report: typeof whole) => report.relations.map((r) => [r.name, r.rowsChecked, r.orphans, r.samples])
      expect(counts(chunked)).toEqual(counts(whole))
      expect(chunked.findings.map((f) => [f.kind, f.relation, f.count])).toEqual(whole.findings.map((f) => [f.kind, f.relation, f.count]))
      const scans = Object.fromEntries(chunked.relations.map((r) => [r.name, r.scan]))
      // region_id is indexed: ranges of it (0..99 in steps of 34) and the NULL keys; orders.customer_id is not: id ranges.
      expect(scans.customers_region_id_fkey).toMatchObject({ mode: 'chunked', chunks: 4, walked: ['region_id'] })
      expect(scans.orders_customer_id_fkey).toMatchObject({ mode: 'chunked', chunks: 3, walked: ['id'] })
      expect(scans.items_line).toMatchObject({ mode: 'chunked', chunks: 3, walked: ['order_id', 'line'] })
      const known = whole.relations.filter((r) => r.rowsChecked > 0)
      expect(known.map((r) => [r.name, r.scan.mode, r.scan.chunks])).toEqual(known.map((r) => [r.name, 'whole', 1]))
    })

    it('counts and samples the same when it expects a clean table, and with few samples wanted', async () => {
      // scattered's orphans get smaller along its primary key: the smallest is in its last chunk.
      const relations = [...AUDIT_RELATIONS, 'constraint items_line order_items(line) -> regions(id)', 'scattered(spot_id) -> spots(id)']
      const counts = (report: Awaited<ReturnType<typeof check>>) =>
        report.relations.map((r) => [r.name, r.rowsChecked, r.orphans, r.samples, r.complete])
      const findings = (report: Awaited<ReturnType<typeof check>>) => report.findings.map((f) => [f.kind, f.relation, f.count])
      for (const sample of [1, 2, 5]) {
        const whole = await check(relations, { sample })
        for (const options of [{ chunkRows: 2 }, { expectClean: true }, { expectClean: true, chunkRows: 2 }]) {
          const other = await check(relations, { sample, ...options })
          expect(counts(other), JSON.stringify(options)).toEqual(counts(whole))
          expect(findings(other)).toEqual(findings(whole))
        }
      }
      const scattered = (await check(['scattered(spot_id) -> spots(id)'], { sample: 1, chunkRows: 2, expectClean: true })).relations[0]
      expect([scattered?.orphans, scattered?.samples, scattered?.scan.chunks]).toEqual([3, [{ spot_id: 700 }], 3])
    })

    it('reports progress per chunk', async () => {
      const seen: Array<[string, number]> = []
      await check(['orders(customer_id) -> customers(id)'], { chunkRows: 2, onProgress: (p) => seen.push([p.relation, p.rows]) })
      expect(seen).toEqual([
        ['orders_customer_id_fkey', 2],
        ['orders_customer_id_fkey', 4],
        ['orders_customer_id_fkey', 5],
      ])
    })

    it('is incomplete, never clean, when --max-time runs out', async () => {
      const report = await check(['notes(tag_code) -> tags(code)', 'declared_child(parent_id) -> declared_parent(id)'], { maxTimeMs: 0 })
      expect(report.complete).toBe(false)
      expect(report.relations.every((r) => !r.complete && r.scan.note?.includes('--max-time'))).toBe(true)
    })

    it('walks a table without a primary key in one statement, and says why', async () => {
      const report = await check(['loose_refs(region_id) -> regions(id)'], { chunkRows: 1 })
      expect(report.relations[0]).toMatchObject({ rowsChecked: 3, orphans: 1, complete: true, scan: { mode: 'whole' } })
      expect(report.relations[0]?.scan.note).toContain('has no primary key')
    })

    it('counts a 0-row table as clean with a 0% share', async () => {
      const report = await check(['ring_a(b_id) -> ring_b(id)'])
      expect(report.relations[0]).toMatchObject({ rowsChecked: 0, orphans: 0, share: 0, complete: true })
      expect(report.ok).toBe(true)
    })

    it('checks a relation whose child is a view, without index advice', async () => {
      const report = await check(['customer_regions(region_id) -> regions(id)'], { chunkRows: 1 })
      expect(report.relations[0]).toMatchObject({ rowsChecked: 6, orphans: 4, scan: { mode: 'whole' } })
      expect(report.relations[0]?.scan.note).toContain('is a view')
      expect(report.findings.map((f) => f.kind)).not.toContain('missing-index')
    })

    it('cuts a huge text key in samples and still counts it', async () => {
      const report = await check(['labelled(label) -> labels(code)'])
      expect(report.relations[0]).toMatchObject({ rowsChecked: 2, orphans: 1 })
      const sample = String(report.relations[0]?.samples[0]?.label)
      expect(sample.length).toBeLessThan(300)
      expect(sample).toContain('(100000 chars)')
    })
  })
}
