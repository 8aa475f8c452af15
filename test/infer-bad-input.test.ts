import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { formatInferText } from '../src/infer/format.js'
import { type InferProgress, inferRelations } from '../src/infer/infer.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

for (const dialect of DIALECTS) {
  describe(`infer on awkward databases (${dialect})`, () => {
    let test: TestDatabase | undefined
    const fresh = async () => {
      test = await createTestDatabase(dialect, 'inferbad')
      return test
    }
    afterEach(async () => {
      await test?.drop()
      test = undefined
    })

    it('reports an empty database as empty', async () => {
      const db = await fresh()
      const report = await inferRelations(db.database)
      expect(report).toMatchObject({ ok: true, tables: 0, columns: 0, declared: 0, candidates: [], unresolved: [] })
      expect(report.queries).toMatchObject({ typeValues: 0, parentStats: 0, samples: 0, exact: 0 })
      expect(formatInferText(report)).toContain('There are no tables to look at')
    })

    it('takes children without a primary key, and names the parent that has none', async () => {
      const db = await fresh()
      await db.exec(`
        create table members (id int primary key, name varchar(20));
        create table accounts (id int, name varchar(20));
        create table payments (amount_cents int, account_id int, member_id int)`)
      await db.db
        .insertInto('members')
        .values(range(30).map((id) => ({ id, name: `m${id}` })))
        .execute()
      await db.db
        .insertInto('accounts')
        .values(range(30).map((id) => ({ id, name: `a${id}` })))
        .execute()
      await db.db
        .insertInto('payments')
        .values(range(100).map((i) => ({ amount_cents: i, account_id: (i % 30) + 1, member_id: (i % 30) + 1 })))
        .execute()
      const report = await inferRelations(db.database)
      expect(report.candidates.map((candidate) => `${candidate.child} -> ${candidate.parent}`)).toEqual([
        'payments(member_id) -> members(id)',
      ])
      expect(report.candidates[0]?.accepted).toBe(true)
      expect(report.unresolved).toEqual([
        {
          column: 'payments.account_id',
          reason: 'its name points at accounts, which has no primary key or unique index to reference: add one',
        },
      ])
    })

    it('keeps tiny lookup tables and 0/1 columns from making candidates', async () => {
      const db = await fresh()
      await db.exec(`
        create table colors (id int primary key, label varchar(10));
        create table items (id int primary key, rating int, priority int, quantity int, color smallint, archived smallint)`)
      await db.db
        .insertInto('colors')
        .values(range(3).map((id) => ({ id, label: `c${id}` })))
        .execute()
      await db.db
        .insertInto('items')
        .values(
          range(200).map((id) => ({ id, rating: (id % 3) + 1, priority: (id % 2) + 1, quantity: 1, color: id % 2, archived: id % 2 })),
        )
        .execute()
      const report = await inferRelations(db.database)
      expect(report.candidates.filter((candidate) => candidate.accepted)).toEqual([])
      const color = report.candidates.find((candidate) => candidate.child === 'items(color)')
      expect(color?.evidence.map((item) => item.detail)).toContain('the values are only 0 and 1: a flag rather than a reference')
      expect(report.candidates.map((candidate) => candidate.child)).toEqual(['items(color)'])
    })

    it('reads a 1000-column table with a bounded number of statements', async () => {
      const db = await fresh()
      const roles = 'abcdefghij'.split('').map((letter) => `alt${letter}_customer_id`)
      const plain = range(1000 - 1 - roles.length).map((i) => `v${String(i).padStart(4, '0')}`)
      await db.exec(`create table customers (id int primary key, name varchar(20));
        create table wide (id int primary key, ${[...roles, ...plain].map((column) => `${column} int`).join(', ')})`)
      await db.db
        .insertInto('customers')
        .values(range(50).map((id) => ({ id, name: `c${id}` })))
        .execute()
      await db.db
        .insertInto('wide')
        .values(
          range(20).map((id) =>
            Object.fromEntries([
              ['id', id],
              ...roles.map((role, i) => [role, ((id + i) % 50) + 1]),
              ...plain.map((column) => [column, id]),
            ]),
          ),
        )
        .execute()
      const report = await inferRelations(db.database)
      expect(report.columns).toBe(1002)
      expect(
        report.candidates
          .filter((candidate) => candidate.accepted)
          .map((candidate) => candidate.child)
          .sort(),
      ).toEqual(roles.map((role) => `wide(${role})`).sort())
      // Ten candidates on one child: two statements of at most eight joins, whether sampled or read whole.
      expect(report.queries.samples + report.queries.exact).toBeLessThanOrEqual(4)
      expect(report.queries.parentStats).toBe(1)
    })
  })
}

/**
 * Thousands of tables is a test of the catalog's size, not of an engine: PostgreSQL creates them fastest, and the
 * per-engine code paths are the ones the tests above run on every dialect.
 */
describe('infer on 2,000 tables (postgres)', () => {
  let test: TestDatabase | undefined
  afterEach(() => test?.drop())

  it('finishes in bounded time, one statement per parent and per child, and reports progress', async () => {
    test = await createTestDatabase('postgres', 'infermany')
    const tables = range(2000)
    for (const chunk of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => tables.slice(n * 200, (n + 1) * 200))) {
      const statements = chunk.flatMap((i) =>
        i === 1
          ? ['create table node_1 (id int primary key)', 'insert into node_1 values (1)']
          : [`create table node_${i} (id int primary key, node_${i - 1}_id int)`, `insert into node_${i} values (1, 1)`],
      )
      await sql.raw(statements.join(';\n')).execute(test.db)
    }
    const progress: InferProgress[] = []
    const started = performance.now()
    const report = await inferRelations(test.database, { onProgress: (p) => progress.push(p) })
    const seconds = (performance.now() - started) / 1000
    console.log(`infer on 2,000 tables: ${seconds.toFixed(1)} s, ${JSON.stringify(report.queries)}`)
    expect(report.tables).toBe(2000)
    const accepted = report.candidates.filter((candidate) => candidate.accepted)
    expect(accepted).toHaveLength(1999)
    expect(
      accepted.every(
        (candidate) => candidate.child.replace(/^node_(\d+)\(node_(\d+)_id\)$/, (_, a, b) => String(Number(a) - Number(b))) === '1',
      ),
    ).toBe(true)
    expect(report.queries.parentStats).toBe(1999)
    expect(report.queries.samples + report.queries.exact).toBeLessThanOrEqual(2 * 1999)
    const parents = progress.filter((p) => p.phase === 'parents')
    expect(parents).toHaveLength(1999)
    expect(parents.map((p) => p.done)).toEqual(range(1999).map((n) => n - 1))
    expect(progress.some((p) => p.phase === 'samples' || p.phase === 'exact')).toBe(true)
    expect(seconds).toBeLessThan(240)
  }, 600_000)
})
