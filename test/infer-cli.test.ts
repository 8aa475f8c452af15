import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load.js'
import { runCli, writeTempFiles } from './support/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

const SHOP = `
create table customers (id int primary key, name varchar(40));
create table orders (id int primary key, customer_id int, placed_by int, total_cents int);
create table staff (id int primary key, name varchar(40))`

/** A TypeScript config with databases and no relations yet: what a team adopting refguard on a legacy database starts from. */
function tsConfig(url: string): string {
  return `// written by hand\nexport default {\n  databases: { main: { url: '${url}' } },\n  relations: [],\n}\n`
}

for (const dialect of DIALECTS) {
  describe(`infer command on ${dialect}`, () => {
    let test: TestDatabase
    let dir: string
    const cli = (...args: string[]) => runCli(['infer', '--config', join(dir, 'refguard.config.ts'), ...args])

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'infercli')
      await test.exec(SHOP)
      const ids = Array.from({ length: 40 }, (_, i) => i + 1)
      await test.db
        .insertInto('customers')
        .values(ids.map((id) => ({ id, name: `c${id}` })))
        .execute()
      await test.db
        .insertInto('staff')
        .values(ids.slice(0, 5).map((id) => ({ id, name: `s${id}` })))
        .execute()
      await test.db
        .insertInto('orders')
        .values(ids.map((id) => ({ id, customer_id: ((id * 7) % 40) + 1, placed_by: (id % 5) + 1, total_cents: id * 100 })))
        .execute()
      await test.disconnect()
      dir = writeTempFiles({
        'refguard.config.ts': tsConfig(test.url),
        'empty.json': JSON.stringify({ databases: { main: test.url }, relations: [] }),
      })
    })
    afterAll(() => test?.drop())

    it('prints candidates grouped by confidence, with their evidence, and exits 0', async () => {
      const result = await cli()
      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')
      expect(result.stdout).toContain('High confidence (0.90 and above)')
      expect(result.stdout).toMatch(
        / {2}0\.9\d {2}orders\(customer_id\) -> customers\(id\)\n {8}`customer_id` names customers and its key id\n {8}100% of 40 values found in customers/,
      )
      expect(result.stdout).toContain('Run again with --write to add the 1 accepted relation to the config file.')
    })

    it('--json prints one object with every candidate, its evidence and the relation for the config', async () => {
      const result = await cli('--json', '--min-confidence', '0')
      expect(result.code).toBe(0)
      const report = JSON.parse(result.stdout)
      expect(report).toMatchObject({ ok: true, database: 'main', tables: 3, declared: 0 })
      expect(report.candidates[0]).toMatchObject({
        name: 'orders_customer_id_fkey',
        child: 'orders(customer_id)',
        parent: 'customers(id)',
        accepted: true,
        configured: false,
        relation: {
          name: 'orders_customer_id_fkey',
          child: { table: 'orders', columns: ['customer_id'] },
          parent: { table: 'customers', columns: ['id'] },
        },
      })
      expect(report.candidates[0].confidence).toBeGreaterThan(0.9)
      expect(report.candidates[0].evidence.map((item: { signal: string }) => item.signal)).toEqual(['name', 'type', 'key', 'data'])
      const placedBy = report.candidates.find((candidate: { child: string }) => candidate.child === 'orders(placed_by)')
      expect(placedBy).toBeUndefined()
    })

    it('--write adds the accepted relations to a config with none, leaving the rest of the file as it was; a second run adds nothing', async () => {
      const file = join(dir, 'refguard.config.ts')
      const before = readFileSync(file, 'utf8')
      const first = await cli('--write')
      expect(first.code).toBe(0)
      expect(first.stdout).toContain(`Added 1 relation to ${file}.`)
      const after = readFileSync(file, 'utf8')
      expect(after.startsWith(before.slice(0, before.indexOf('relations: [')))).toBe(true)
      const config = await loadConfig(file)
      expect(config.relations.map((relation) => [relation.name, relation.child.table, relation.parent.table])).toEqual([
        ['orders_customer_id_fkey', 'orders', 'customers'],
      ])

      const second = await cli('--write', '--json')
      expect(second.code).toBe(0)
      const report = JSON.parse(second.stdout)
      expect(report.written).toEqual({ file, added: [], alreadyPresent: ['orders_customer_id_fkey'] })
      expect(report.candidates[0]).toMatchObject({ name: 'orders_customer_id_fkey', configured: true })
      expect(readFileSync(file, 'utf8')).toBe(after)
    })

    it('--write works on a JSON config with an empty relations array', async () => {
      const file = join(dir, 'empty.json')
      const result = await runCli(['infer', '--config', file, '--write', '--json'])
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout).written.added).toEqual(['orders_customer_id_fkey'])
      expect(JSON.parse(readFileSync(file, 'utf8')).relations).toEqual([
        {
          name: 'orders_customer_id_fkey',
          child: { table: 'orders', columns: ['customer_id'] },
          parent: { table: 'customers', columns: ['id'] },
        },
      ])
    })

    it('exits 2 on a bad --min-confidence or an unknown database, with JSON on stdout under --json', async () => {
      const bad = await cli('--min-confidence', '1.5')
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('--min-confidence must be a number from 0 to 1, got "1.5"')
      const unknown = await cli('--database', 'billing', '--json')
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toContain('the config has no database "billing"')
      expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, error: { type: 'usage' } })
    })
  })
}

describe('infer command without a database server', () => {
  it('exits 2 naming the database it cannot reach', async () => {
    const dir = writeTempFiles({ 'c.json': JSON.stringify({ databases: { main: 'postgres://postgres@127.0.0.1:1/shop' }, relations: [] }) })
    const result = await runCli(['infer', '--config', join(dir, 'c.json'), '--json'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('cannot connect to database "main"')
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { type: 'connection' } })
  })
})
