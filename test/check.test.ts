import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCheck } from '../src/audit/check.js'
import { SchemaMismatchError } from '../src/audit/errors.js'
import { resolveConfig } from '../src/config/normalize.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { runCli, writeTempFiles } from './support/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

const ODD_PARENT = 'my "parents"; drop table posts; --'
const ODD_CHILD = 'child;table'
const ODD_COLUMN = "parent's id"

const FIXTURE = `
create table customers (id int primary key, name varchar(50));
create table orders (id int primary key, customer_id int, note varchar(20));
create table items (code varchar(10) primary key);
create table order_lines (order_id int not null, line_no int not null, item_code varchar(10), primary key (order_id, line_no));
create table shipments (id int primary key, order_id int, line_no int);
create table posts (id int primary key);
create table comments (id int primary key, commentable_type varchar(10), commentable_id int);
create table regions (code int);
create table tags (id int primary key);
create table post_tags (post_id int, tag_id int);
insert into customers values (1, 'Helen'), (2, 'Dave'), (3, 'Kim');
insert into orders values (1, 1, null), (2, 2, null), (3, 9, null), (4, null, null), (5, 8, null), (6, 3, null);
insert into items values ('A'), ('B');
insert into order_lines values (1, 1, 'A'), (1, 2, 'B'), (2, 1, 'Z'), (7, 1, 'A');
insert into shipments values (1, 1, 1), (2, 1, 3), (3, null, 1), (4, null, null), (5, 9, null), (6, 2, 1);
insert into posts values (1), (2);
insert into tags values (1), (2);
insert into post_tags values (1, 1), (2, 2), (1, null);
insert into comments values (1, 'Post', 1), (2, 'Post', 5), (3, 'Photo', 5), (4, 'Post', null), (5, 'Photo', 1);
`

const RELATIONS = [
  'orders(customer_id) -> customers(id) on delete cascade',
  'order_lines(order_id) -> orders(id) on delete cascade',
  'order_lines(item_code) -> items(code) on delete restrict',
  'constraint shipments_simple shipments(order_id, line_no) -> order_lines(order_id, line_no)',
  'constraint shipments_full shipments(order_id, line_no) -> order_lines(order_id, line_no) match full',
  "constraint comments_post comments(commentable_id) -> posts(id) where commentable_type = 'Post'",
  { name: 'odd_names', child: { table: ODD_CHILD, columns: [ODD_COLUMN] }, parent: { table: ODD_PARENT, columns: ['id'] } },
]

const CLEAN_RELATIONS = ['post_tags(tag_id) -> tags(id)', 'post_tags(post_id) -> posts(id)']

/** Expected [rowsChecked, orphans] per relation, the same on every dialect. */
const EXPECTED: Record<string, [number, number]> = {
  orders_customer_id_fkey: [6, 2],
  order_lines_order_id_fkey: [4, 1],
  order_lines_item_code_fkey: [4, 1],
  shipments_simple: [6, 1],
  shipments_full: [6, 3],
  comments_post: [3, 1],
  odd_names: [3, 1],
}

async function createOddTables(test: TestDatabase): Promise<void> {
  await sql`create table ${sql.id(ODD_PARENT)} (id int primary key)`.execute(test.db)
  await sql`create table ${sql.id(ODD_CHILD)} (id int primary key, ${sql.id(ODD_COLUMN)} int)`.execute(test.db)
  await sql`insert into ${sql.id(ODD_PARENT)} values (1)`.execute(test.db)
  await sql`insert into ${sql.id(ODD_CHILD)} values (1, 1), (2, 2), (3, null)`.execute(test.db)
}

for (const dialect of DIALECTS) {
  describe(`check on ${dialect}`, () => {
    let test: TestDatabase
    const configFor = (relations: unknown[]) => resolveConfig({ databases: { main: test.url }, relations })
    const check = (relations: unknown[], options = {}) => {
      const config = configFor(relations)
      return runCheck(config, new DatabaseSet(config, { main: test.database }), options)
    }

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'check')
      await test.exec(FIXTURE)
      await createOddTables(test)
    })
    afterAll(() => test?.drop())

    it('counts orphans exactly: single and composite keys, MATCH SIMPLE and FULL, polymorphic filter, odd identifiers', async () => {
      const report = await check(RELATIONS)
      const counts = Object.fromEntries(report.relations.map((r) => [r.name, [r.rowsChecked, r.orphans]]))
      expect(counts).toEqual(EXPECTED)
      expect(report.ok).toBe(false)
      expect(report.findings.filter((f) => f.kind === 'orphans').map((f) => [f.relation, f.count])).toEqual(
        report.relations.filter((r) => r.orphans > 0).map((r) => [r.name, r.orphans]),
      )
      const posts = await sql<{ n: unknown }>`select count(*) as n from posts`.execute(test.db)
      expect(Number(posts.rows[0]?.n)).toBe(2)
    })

    it('samples the orphaned keys, at most --sample of them', async () => {
      const report = await check(RELATIONS, { sample: 1 })
      const byName = Object.fromEntries(report.relations.map((r) => [r.name, r.samples]))
      expect(byName.orders_customer_id_fkey).toEqual([{ customer_id: 8 }])
      expect(byName.order_lines_item_code_fkey).toEqual([{ item_code: 'Z' }])
      expect(byName.comments_post).toEqual([{ commentable_id: 5 }])
      const full = (await check(RELATIONS, { sample: 10 })).relations.find((r) => r.name === 'shipments_full')
      expect(full?.samples).toHaveLength(3)
      expect(full?.samples).toContainEqual({ order_id: 9, line_no: null })
    })

    it('lists relations parents first and names sides as written', async () => {
      const report = await check(RELATIONS)
      const names = report.relations.map((r) => r.name)
      expect(names.indexOf('orders_customer_id_fkey')).toBeLessThan(names.indexOf('order_lines_order_id_fkey'))
      expect(names.indexOf('order_lines_order_id_fkey')).toBeLessThan(names.indexOf('shipments_full'))
      expect(report.relations.find((r) => r.name === 'shipments_full')).toMatchObject({
        child: 'shipments(order_id, line_no)',
        parent: 'order_lines(order_id, line_no)',
      })
    })

    it('suggests fix SQL that removes exactly the orphans', async () => {
      const copy = await createTestDatabase(dialect, 'fixsql')
      try {
        await copy.exec(FIXTURE)
        const config = resolveConfig({ databases: { main: copy.url }, relations: RELATIONS.slice(0, 6) })
        const databases = new DatabaseSet(config, { main: copy.database })
        const before = await runCheck(config, databases)
        for (const finding of before.findings.filter((f) => f.kind === 'orphans')) await sql.raw(finding.fix).execute(copy.db)
        const after = await runCheck(config, databases)
        expect(after.relations.map((r) => [r.name, r.orphans]).filter(([, orphans]) => orphans !== 0)).toEqual([])
        const customers = await sql<{ n: unknown }>`select count(*) as n from orders`.execute(copy.db)
        expect(Number(customers.rows[0]?.n)).toBe(4)
      } finally {
        await copy.drop()
      }
    })

    it('is clean (ok) for relations without orphans', async () => {
      const report = await check(CLEAN_RELATIONS)
      expect(report.ok).toBe(true)
      expect(report.complete).toBe(true)
      expect(report.findings.map((f) => [f.kind, f.severity, f.relation])).toEqual([
        ['missing-index', 'warning', 'post_tags_post_id_fkey'],
        ['missing-index', 'warning', 'post_tags_tag_id_fkey'],
      ])
      expect((await check(CLEAN_RELATIONS, { failOn: 'warning' })).ok).toBe(false)
    })

    it('refuses relations naming unknown tables or columns, naming relation and column', async () => {
      const failure = await check(['orders(customer) -> customers(id)', 'order_line(order_id) -> orders(id)']).catch((e) => e)
      expect(failure).toBeInstanceOf(SchemaMismatchError)
      expect(failure.message).toContain('relation "orders_customer_fkey": child table')
      expect(failure.message).toContain('has no column "customer" (did you mean "customer_id"?)')
      expect(failure.message).toContain('child table "')
      expect(failure.message).toContain('order_line" does not exist in database "main" (did you mean "order_lines"?)')
    })

    it('reports parents without a unique key and SET NULL on NOT NULL columns', async () => {
      const report = await check(['customers(id) -> regions(code)', 'order_lines(order_id) -> orders(id) on delete set null'])
      expect(report.findings.map((f) => [f.kind, f.relation])).toEqual([
        ['parent-not-unique', 'customers_id_fkey'],
        ['orphans', 'customers_id_fkey'],
        ['nullability', 'order_lines_order_id_fkey'],
        ['orphans', 'order_lines_order_id_fkey'],
      ])
      expect(report.ok).toBe(false)
    })

    describe('through the CLI', () => {
      let dir: string
      beforeAll(async () => {
        await test.disconnect()
        const config = (relations: unknown[]) => JSON.stringify({ databases: { main: { url: test.url } }, relations })
        dir = writeTempFiles({
          'orphans.json': config(RELATIONS),
          'clean.json': config(CLEAN_RELATIONS),
          'unknown-column.json': config(['orders(customer) -> customers(id)']),
        })
      })

      it('prints the DESIGN.md JSON shape and exits 1 when orphans exist', async () => {
        const result = await runCli(['check', '--json', '--config', join(dir, 'orphans.json')])
        expect(result.code).toBe(1)
        const report = JSON.parse(result.stdout)
        expect(Object.keys(report)).toEqual(['ok', 'complete', 'relations', 'findings', 'fixOrder', 'ms'])
        expect(Object.keys(report.relations[0])).toEqual(
          expect.arrayContaining(['name', 'child', 'parent', 'rowsChecked', 'orphans', 'samples', 'ms']),
        )
        for (const finding of report.findings) {
          expect(Object.keys(finding)).toEqual(expect.arrayContaining(['kind', 'severity', 'message', 'fix']))
        }
        expect(Object.fromEntries(report.relations.map((r: any) => [r.name, [r.rowsChecked, r.orphans]]))).toEqual(EXPECTED)
      })

      it('exits 0 on a clean database and prints a readable table', async () => {
        const result = await runCli(['check', '--config', join(dir, 'clean.json')])
        expect(result.code).toBe(0)
        expect(result.stdout).toMatch(/post_tags_tag_id_fkey +post_tags\(tag_id\) -> tags\(id\) +3 +0/)
        expect(result.stdout).toContain('OK: 0 error(s), 2 warning(s); 0 orphaned row(s) in 0 of 2 relation(s)')
        expect(Math.max(...result.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(100)
      })

      it('exits 2 on an unknown column, naming relation and column', async () => {
        const result = await runCli(['check', '--json', '--config', join(dir, 'unknown-column.json')])
        expect(result.code).toBe(2)
        expect(result.stderr).toContain('relation "orders_customer_fkey"')
        expect(result.stderr).toContain('no column "customer"')
        expect(JSON.parse(result.stdout).error.type).toBe('schema')
      })

      it('exits 2 on an unknown --relation name, suggesting the right one', async () => {
        const result = await runCli(['check', '--config', join(dir, 'clean.json'), '--relation', 'post_tags_tag_id_fkye'])
        expect(result.code).toBe(2)
        expect(result.stderr).toContain('unknown relation "post_tags_tag_id_fkye" (did you mean "post_tags_tag_id_fkey"?)')
      })
    })
  })
}
