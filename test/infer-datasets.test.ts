import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RelationInput } from '../src/config/types.js'
import type { SchemaInfo } from '../src/db/schema-info.js'
import { findTable } from '../src/db/schema-info.js'
import { type InferReport, inferRelations } from '../src/infer/infer.js'
import { createTestDatabase, type TestDatabase, type TestDialect } from './support/databases.js'
import { dropForeignKeys, loadNorthwind, loadSakila } from './support/datasets.js'
import { readTableParents } from '../src/db/table-parents.js'
import { relationsFromForeignKeys } from '../src/migrate/from-foreign-keys.js'

/** Share of each child table's rows (with a key) that the evaluation turns into orphans, per relation. */
const ORPHAN_SHARE = 0.02
const MIN_F1 = 0.9

/** The datasets and engines of the evaluation: Sakila has a PostgreSQL and a MySQL schema, Northwind only a PostgreSQL one. */
const RUNS: Array<{ dataset: string; dialect: TestDialect; load: (test: TestDatabase) => Promise<void> }> = [
  { dataset: 'sakila', dialect: 'postgres', load: loadSakila },
  { dataset: 'sakila', dialect: 'mariadb', load: loadSakila },
  { dataset: 'sakila', dialect: 'pglite', load: loadSakila },
  { dataset: 'northwind', dialect: 'postgres', load: loadNorthwind },
  { dataset: 'northwind', dialect: 'pglite', load: loadNorthwind },
]

function relationKey(relation: RelationInput): string {
  return `${relation.child.table}(${relation.child.columns.join(',')}) -> ${relation.parent.table}(${relation.parent.columns.join(',')})`
}

/** A key value the parent does not have: past its largest whole-number key, or a string it does not hold. */
async function orphanValues(db: Kysely<any>, relation: RelationInput, schema: SchemaInfo, count: number): Promise<unknown[]> {
  const parent = findTable(schema, relation.parent) as NonNullable<ReturnType<typeof findTable>>
  const key = relation.parent.columns[0] as string
  const column = parent.columns.find((candidate) => candidate.name === key)
  if (/int|numeric|decimal/i.test(column?.type ?? '')) {
    const { rows } = await sql<{ max: unknown }>`select max(${sql.id(key)}) as max from ${sql.id(parent.name)}`.execute(db)
    const max = Number(rows[0]?.max ?? 0)
    return Array.from({ length: count }, (_, i) => max + 1 + i)
  }
  const existing = new Set(
    (await sql<{ key: string }>`select ${sql.id(key)} as key from ${sql.id(parent.name)}`.execute(db)).rows.map((row) =>
      String(row.key).trim(),
    ),
  )
  const values: string[] = []
  for (let i = 0; values.length < count; i++) {
    const value = `Q${String(i).padStart(4, '0')}`
    if (!existing.has(value)) values.push(value)
  }
  return values
}

/**
 * Turns ORPHAN_SHARE of the child's rows (at least one, when it has any) into orphans of the relation: rows spread
 * evenly through the table, a different set for each relation of the same child, found by their primary key.
 */
async function injectOrphans(db: Kysely<any>, schema: SchemaInfo, relations: RelationInput[]): Promise<number> {
  let injected = 0
  const seenPerChild = new Map<string, number>()
  for (const relation of relations) {
    const child = findTable(schema, relation.child) as NonNullable<ReturnType<typeof findTable>>
    const column = relation.child.columns[0] as string
    const primaryKey = child.primaryKey
    const offset = seenPerChild.get(child.name) ?? 0
    seenPerChild.set(child.name, offset + 1)
    const rows = await db
      .selectFrom(child.name)
      .select(primaryKey)
      .where(column, 'is not', null)
      .orderBy(primaryKey.map((name) => sql.ref(name)))
      .execute()
    if (rows.length === 0) continue
    const count = Math.ceil(rows.length * ORPHAN_SHARE)
    const values = await orphanValues(db, relation, schema, count)
    for (let i = 0; i < count; i++) {
      const row = rows[(Math.floor((i * rows.length) / count) + offset) % rows.length] as Record<string, unknown>
      let update = db.updateTable(child.name).set({ [column]: values[i] })
      for (const name of primaryKey) update = update.where(name, '=', row[name])
      await update.execute()
    }
    injected += count
  }
  return injected
}

/** Precision, recall and F1 of the accepted candidates against the declared foreign keys. */
function evaluate(report: InferReport, truth: RelationInput[]) {
  const expected = new Set(truth.map(relationKey))
  const accepted = report.candidates.filter((candidate) => candidate.accepted).map((candidate) => relationKey(candidate.relation))
  const truePositives = accepted.filter((key) => expected.has(key))
  const precision = accepted.length === 0 ? 0 : truePositives.length / accepted.length
  const recall = truePositives.length / expected.size
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return {
    precision,
    recall,
    f1,
    falsePositives: accepted.filter((key) => !expected.has(key)),
    missed: [...expected].filter((key) => !accepted.includes(key)),
  }
}

for (const run of RUNS) {
  describe(`infer on ${run.dataset} (${run.dialect}) without its foreign keys and with ${ORPHAN_SHARE * 100}% orphans`, () => {
    let test: TestDatabase
    let truth: RelationInput[]
    let injected: number

    beforeAll(async () => {
      test = await createTestDatabase(run.dialect, `infer_${run.dataset}`)
      await run.load(test)
      const schema = await test.database.introspect()
      truth = relationsFromForeignKeys(schema, await readTableParents(test.database)).relations
      await dropForeignKeys(test)
      injected = await injectOrphans(test.db, schema, truth)
    })
    afterAll(() => test?.drop())

    it(`finds the dropped foreign keys with F1 >= ${MIN_F1}`, async () => {
      expect(truth.length).toBeGreaterThan(10)
      expect(injected).toBeGreaterThanOrEqual(truth.length - 1)
      const report = await inferRelations(test.database)
      expect(report.declared).toBe(0)
      const score = evaluate(report, truth)
      const lowest = report.candidates.filter((candidate) => candidate.accepted).slice(-3)
      console.log(
        `infer ${run.dataset} on ${run.dialect}: precision ${score.precision.toFixed(3)}, recall ${score.recall.toFixed(3)}, F1 ${score.f1.toFixed(3)} ` +
          `(${truth.length} dropped FKs, ${injected} orphans injected; false positives: ${score.falsePositives.join('; ') || 'none'}; ` +
          `missed: ${score.missed.join('; ') || 'none'}; ${report.queries.samples + report.queries.exact + report.queries.parentStats} data statements, ${report.ms} ms; ` +
          `least confident accepted: ${lowest.map((candidate) => `${relationKey(candidate.relation)} ${candidate.confidence}`).join(', ')})`,
      )
      expect(score.f1).toBeGreaterThanOrEqual(MIN_F1)
    })
  })
}
