import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyTypeOf } from '../src/audit/column-types.js'
import { loadConfig } from '../src/config/load.js'
import { openDatabase } from '../src/db/connect.js'
import type { SchemaInfo, TableInfo } from '../src/db/schema-info.js'
import { createGuard } from '../src/enforce/guard.js'
import type { Relation } from '../src/model/relation.js'
import { outcomesAgree } from './differential/compare.js'
import { type Outcome, runStatement } from './differential/execute.js'
import type { Statement } from './differential/model.js'
import { runCli, writeTempFiles } from './support/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase, type TestDialect } from './support/databases.js'
import { loadNorthwind, loadSakila } from './support/datasets.js'
import { seededRandom } from './support/random.js'
import { declaredForeignKeys } from './support/declared-foreign-keys.js'

/** A real sample database and the engines it loads on (Northwind is a PostgreSQL dump). */
interface Dataset {
  name: string
  dialects: readonly TestDialect[]
  load(test: TestDatabase): Promise<void>
  /** Constraints with SET NULL on a NOT NULL column, per engine family: declared, but refguard refuses such a relation. */
  unenforceable: Record<'postgres' | 'mysql', string[]>
}

const DATASETS: Dataset[] = [
  // Sakila's PostgreSQL dump declares payment.rental_id NOT NULL with ON DELETE SET NULL; its MySQL schema lets it be NULL.
  { name: 'sakila', dialects: DIALECTS, load: loadSakila, unenforceable: { postgres: ['payment_rental_id_fkey'], mysql: [] } },
  { name: 'northwind', dialects: ['pglite', 'postgres'], load: loadNorthwind, unenforceable: { postgres: [], mysql: [] } },
]

/** Random statements per dataset and engine: enough to reach every kind of action, few enough for two shared cores. */
const STATEMENTS = 40
const SEED = 20260514

type DeclaredForeignKey = ReturnType<typeof declaredForeignKeys>[number]

/** Columns a write's triggers stamp with the current time (`last_update`): they differ between two databases by when the write ran. */
function clockColumn(table: TableInfo, name: string): boolean {
  const column = table.columns.find((candidate) => candidate.name === name)
  return Boolean(column?.autoUpdated || /now\(\)|current_timestamp/i.test(column?.default ?? ''))
}

/** A table's rows, ordered by its primary key, without clock columns. */
async function rows(db: Kysely<any>, table: TableInfo): Promise<unknown[]> {
  const columns = table.columns.map((column) => column.name).filter((name) => !clockColumn(table, name))
  const order = table.primaryKey.length > 0 ? table.primaryKey : columns
  const list = (names: string[]) => sql.join(names.map((name) => sql.ref(name)))
  const result = await sql`select ${list(columns)} from ${sql.table(table.name)} order by ${list(order)}`.execute(db)
  return JSON.parse(JSON.stringify(result.rows))
}

/** The distinct non-NULL values of a column, smallest first (the keys a statement can pick from). */
async function keysOf(db: Kysely<any>, table: string, column: string): Promise<number[]> {
  const result = await db
    .selectFrom(table)
    .select(sql.ref(column).as('key'))
    .where(column, 'is not', null)
    .groupBy(column)
    .orderBy(column)
    .execute()
  return result.map((row) => Number(row.key))
}

/** Relations on one integer column, which the statements below can address with numeric keys. */
function integerRelations(relations: readonly Relation[], schema: SchemaInfo): Relation[] {
  const column = (table: string, name: string) =>
    schema.tables.find((candidate) => candidate.name === table)?.columns.find((c) => c.name === name)
  return relations.filter((relation) => {
    if (relation.child.columns.length !== 1) return false
    const parent = column(relation.parent.table, relation.parent.columns[0] as string)
    return parent !== undefined && keyTypeOf(parent).kind === 'integer'
  })
}

/**
 * The next random write against the oracle's current rows: delete or re-key a referenced parent (its ON DELETE /
 * ON UPDATE acts), point children at another parent or at none, or delete children.
 */
async function nextStatement(oracle: Kysely<any>, relations: Relation[], random: () => number): Promise<Statement> {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T
  const relation = pick(relations)
  const child = { table: relation.child.table, column: relation.child.columns[0] as string }
  const parent = { table: relation.parent.table, column: relation.parent.columns[0] as string }
  const referenced = await keysOf(oracle, child.table, child.column)
  const parents = await keysOf(oracle, parent.table, parent.column)
  const key = referenced.length > 0 ? pick(referenced) : pick(parents)
  const where = (column: string, value: number) => ({ kind: 'compare' as const, column, op: '=' as const, value })
  switch (pick(['delete-parent', 'rekey-parent', 'move-children', 'orphan-children', 'delete-children'] as const)) {
    case 'delete-parent':
      return { kind: 'delete', table: parent.table, where: where(parent.column, key) }
    case 'rekey-parent':
      return { kind: 'update', table: parent.table, set: { column: parent.column, add: 1000 }, where: where(parent.column, key) }
    case 'move-children':
      return { kind: 'update', table: child.table, set: { column: child.column, value: pick(parents) }, where: where(child.column, key) }
    case 'orphan-children':
      return {
        kind: 'update',
        table: child.table,
        set: { column: child.column, value: (parents.at(-1) ?? 0) + 5000 },
        where: where(child.column, key),
      }
    case 'delete-children':
      return { kind: 'delete', table: child.table, where: where(child.column, key) }
  }
}

function describeOutcome(outcome: Outcome): string {
  return outcome.ok ? `ok, ${outcome.rows} rows` : `failed ${outcome.sqlState}: ${outcome.message.split('\n')[0]}`
}

for (const dataset of DATASETS) {
  for (const dialect of dataset.dialects) {
    describe(`migrate round trip: ${dataset.name} on ${dialect}`, () => {
      /** The untouched copy: its constraints are the originals, and the oracle of the equivalence run. */
      let oracle: TestDatabase
      /** The copy that goes soft and back. */
      let subject: TestDatabase
      let original: DeclaredForeignKey[]
      let file: string
      let covered: Array<{ name: string; table: string; relation: string; differences: string[] }> = []
      const family = dialect === 'mariadb' ? 'mysql' : 'postgres'
      const migrate = (...args: string[]) => runCli(['migrate', ...args, '--json', '--config', file])
      const subjectForeignKeys = async () => {
        const database = await openDatabase('main', subject.url)
        try {
          return declaredForeignKeys(await database.introspect())
        } finally {
          await database.close()
        }
      }

      beforeAll(async () => {
        ;[oracle, subject] = await Promise.all([
          createTestDatabase(dialect, `${dataset.name}_oracle`),
          createTestDatabase(dialect, dataset.name),
        ])
        await dataset.load(oracle)
        await dataset.load(subject)
        original = declaredForeignKeys(await oracle.database.introspect())
        await subject.disconnect()
        file = join(writeTempFiles({}), 'refguard.config.json')
        writeFileSync(file, JSON.stringify({ databases: { main: { url: subject.url } }, relations: [] }, null, 2))
      })
      afterAll(async () => {
        await Promise.all([oracle?.drop(), subject?.drop()])
      })

      it('to-soft: every constraint becomes a relation in the config and is dropped', async () => {
        const result = await migrate('to-soft', '--apply')
        expect(result.code).toBe(0)
        const output = JSON.parse(result.stdout)
        covered = output.covered
        expect(await subjectForeignKeys()).toEqual([])
        const relations = (await loadConfig(file)).relations
        expect(relations.length + covered.length).toBe(original.length)
        for (const relation of relations) {
          const foreignKey = original.find((candidate) => candidate.name === relation.name && candidate.table === relation.child.table)
          expect(foreignKey, relation.name).toBeDefined()
          expect(relation).toMatchObject({
            child: { columns: foreignKey?.columns },
            parent: { table: foreignKey?.parent.table, columns: foreignKey?.parent.columns },
            onDelete: foreignKey?.onDelete,
            onUpdate: foreignKey?.onUpdate,
            match: foreignKey?.match,
            deferrable: foreignKey?.deferrable,
          })
        }
        // A constraint that fails every delete it would act on is converted, and to-soft warns that refguard will refuse it.
        expect(output.warnings.map((finding: { kind: string; relation: string }) => [finding.kind, finding.relation])).toEqual(
          dataset.unenforceable[family].map((name) => ['nullability', name]),
        )
        // Sakila's payment partitions (inheritance children) declare payment's FKs again, with NO ACTION where
        // payment's have RESTRICT / SET NULL and CASCADE: payment's relations now act on their rows, and to-soft says so.
        for (const entry of covered) {
          expect(entry.table).toMatch(/^public\.payment_p2007_0[1-6]$/)
          expect(entry.differences.length).toBeGreaterThan(0)
        }
      })

      it(`guard.db then ends ${STATEMENTS} random deletes and updates exactly as the constraints did`, async () => {
        const config = await loadConfig(file)
        const database = await openDatabase('main', subject.url)
        // Let such columns hold NULL on both copies, as the warning's fix says, so that the guard takes the relation.
        for (const name of dataset.unenforceable[family]) {
          const relation = config.relations.find((candidate) => candidate.name === name) as Relation
          for (const db of [oracle.db, database.db]) {
            await db.schema
              .alterTable(relation.child.table)
              .alterColumn(relation.child.columns[0] as string, (column) => column.dropNotNull())
              .execute()
          }
        }
        const guard = await createGuard({ db: database.db, relations: config.relations })
        try {
          const schema = await oracle.database.introspect()
          const relations = integerRelations(config.relations, schema)
          expect(relations.length).toBeGreaterThan(5)
          const random = seededRandom(SEED)
          const kinds = new Set<string>()
          for (let i = 0; i < STATEMENTS; i += 1) {
            const statement = await nextStatement(oracle.db, relations, random)
            const native = await runStatement(oracle.db, statement)
            const guarded = await runStatement(guard.db, statement)
            expect(
              outcomesAgree(native, guarded),
              `${JSON.stringify(statement)}: native ${describeOutcome(native)}, refguard ${describeOutcome(guarded)}`,
            ).toBe(true)
            kinds.add(native.ok ? `${statement.kind} ok` : `${statement.kind} refused`)
          }
          // The run reached both outcomes of both kinds of write.
          expect([...kinds].sort()).toEqual(['delete ok', 'delete refused', 'update ok', 'update refused'])
          const tables = new Set(relations.flatMap((relation) => [relation.child.table, relation.parent.table]))
          for (const name of tables) {
            const table = schema.tables.find((candidate) => candidate.name === name) as TableInfo
            expect(await rows(database.db, table), name).toEqual(await rows(oracle.db, table))
          }
        } finally {
          await guard.close()
          await database.close()
        }
      })

      it('to-hard: the constraints are declared again, equal to the originals; a second run changes nothing', async () => {
        const result = await migrate('to-hard', '--apply')
        expect(result.code, result.stdout + result.stderr).toBe(0)
        expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, failures: [], staySoft: [] })
        // Inheritance children get the constraint of the relation that covered them: its actions, their own names.
        const expected = original.map((foreignKey) => {
          const entry = covered.find((candidate) => candidate.name === foreignKey.name && candidate.table.endsWith(`.${foreignKey.table}`))
          const relation = entry && original.find((candidate) => candidate.name === entry.relation)
          return relation ? { ...foreignKey, onDelete: relation.onDelete, onUpdate: relation.onUpdate } : foreignKey
        })
        expect(await subjectForeignKeys()).toEqual(expected)
        const again = await migrate('to-hard', '--apply')
        expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, statements: [], converted: [] })
      })
    })
  }
}
