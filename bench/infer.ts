import { type RawBuilder, sql } from 'kysely'
import { type Database, inferRelations, type InferReport } from '../src/index.js'
import { analyze, sequenceSql } from './fixtures/parents-children.js'
import type { Benchmark, Cell } from './support/benchmark.js'
import { ENGINE_LABELS, type Engine, withBenchDatabase } from './support/databases.js'
import { countStatements } from './support/statement-counter.js'
import { peakRssMib } from './support/timing.js'

/** Rows in all 100 tables together on PostgreSQL (the 10M); `REFGUARD_BENCH_INFER_ROWS` scales it down for a quick run. */
const TOTAL_ROWS = Number(process.env.REFGUARD_BENCH_INFER_ROWS ?? 10_000_000)
/** MariaDB and PGlite run a tenth of it, for information. */
const SCALE: Record<Engine, number> = { postgres: 1, mariadb: 0.1, pglite: 0.1 }
const TABLES = 100
const PARENTS = 20
/** Share of child rows (of those with a key) pointing at no parent, and share with NULL. */
const ORPHANS_PER_THOUSAND = 10
const NULLS_PER_THOUSAND = 50

const PARENT_NAMES =
  'region country city warehouse supplier brand category product customer employee store channel campaign carrier currency language department project vendor account'.split(
    ' ',
  )
const CHILD_NAMES =
  'order invoice payment shipment return review ticket visit session event reservation booking quote claim refund transfer delivery receipt subscription contract lead task note message call meeting survey response complaint incident inspection adjustment allocation assignment attendance batch bid budget certificate charge checkin credential deposit discount dispatch enrollment estimate expense forecast grant hold installation interview invitation issue license listing loan milestone nomination offer opportunity pickup placement pledge policy promotion proposal purchase quota recall referral registration rental renewal repair request requisition sample settlement'.split(
    ' ',
  )
/** Roles some references carry before the table's name (`billing_customer_id`). */
const ROLES = ['billing', 'shipping', 'origin', 'target', 'primary']
/** Parent sizes cycle through these shares of a parent's average size: tiny lookups to big dimensions. */
const PARENT_WEIGHTS = [0.001, 0.05, 0.3, 1, 3]
/** Child sizes cycle through these weights: most children are mid-sized, a few are large. */
const CHILD_WEIGHTS = [1, 1, 2, 4, 8]

function plural(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`
  if (/(s|x|ch|sh)$/.test(word)) return `${word}es`
  return `${word}s`
}

/** A reference column of a generated child: its name, the parent, and whether a role or camelCase names it. */
interface Reference {
  column: string
  parent: number
}

/** One generated table: name, rows, its references (parents have none), and a column named like one that is not. */
interface GeneratedTable {
  name: string
  singular: string
  rows: number
  references: Reference[]
  /** `legacy_<entity>_id`: another system's numbers, none of them a key here. */
  lookAlike?: string
}

/**
 * 20 parents (tiny lookups to large dimensions) and 80 children whose 1–4 references use `<entity>_id`, `<role>_<entity>_id` and
 * `<entity>Id`, pointing at parents or at earlier children; every child also has look-alike columns (an amount, a
 * quantity, a status 1–5, a 0/1 flag, a timestamp, another system's number; `legacy_<entity>_id` in every third). 10M rows in all at full scale.
 */
function generateSchema(totalRows: number): GeneratedTable[] {
  const parentRows = Math.round(totalRows * 0.02)
  const parentWeight = PARENT_WEIGHTS.reduce((a, b) => a + b, 0) * (PARENTS / PARENT_WEIGHTS.length)
  const parents = PARENT_NAMES.slice(0, PARENTS).map((singular, i) => ({
    name: plural(singular),
    singular,
    rows: Math.max(10, Math.round((parentRows * (PARENT_WEIGHTS[i % PARENT_WEIGHTS.length] as number)) / parentWeight)),
    references: [],
  }))
  const childWeight = CHILD_WEIGHTS.reduce((a, b) => a + b, 0) * ((TABLES - PARENTS) / CHILD_WEIGHTS.length)
  const childRows = totalRows - parents.reduce((sum, table) => sum + table.rows, 0)
  const tables: GeneratedTable[] = [...parents]
  CHILD_NAMES.slice(0, TABLES - PARENTS).forEach((singular, i) => {
    const count = 1 + (i % 4)
    const references: Reference[] = []
    for (let r = 0; r < count; r++) {
      // Mostly parents; every fifth reference points at an earlier child, so children are parents too.
      const parent = r === 3 && i > 0 ? PARENTS + ((i * 7) % i) : (i * 3 + r * 7) % PARENTS
      const entity = (tables[parent] as GeneratedTable).singular
      const style = (i + r) % 6
      const column = style === 4 ? `${ROLES[(i + r) % ROLES.length]}_${entity}_id` : style === 5 ? `${entity}Id` : `${entity}_id`
      if (!references.some((reference) => reference.column === column)) references.push({ column, parent })
    }
    const first = (tables[(references[0] as Reference).parent] as GeneratedTable).singular
    tables.push({
      name: plural(singular),
      singular,
      rows: Math.round((childRows * (CHILD_WEIGHTS[i % CHILD_WEIGHTS.length] as number)) / childWeight),
      references,
      ...(i % 3 === 0 ? { lookAlike: `legacy_${first}_id` } : {}),
    })
  })
  return tables
}

/** A reference's value for row `seq`: NULL, an orphan past the parent's last key, or a parent scattered over the whole table. */
function referenceSql(reference: Reference, index: number, tables: GeneratedTable[], mysql: boolean): RawBuilder<unknown> {
  const size = (tables[reference.parent] as GeneratedTable).rows
  const spread = [2017, 7919, 104_729, 15_485_863][index % 4] as number
  // PostgreSQL's generate_series counts in int4, which the product would overflow; MySQL multiplies in 64 bits.
  const seq = mysql ? sql`seq` : sql`seq::bigint`
  return sql`case when seq % 1000 < ${sql.lit(NULLS_PER_THOUSAND)} then null
    when seq % 1000 >= ${sql.lit(1000 - ORPHANS_PER_THOUSAND)} then ${sql.lit(size)} + seq
    else (${seq} * ${sql.lit(spread)}) % ${sql.lit(size)} + 1 end`
}

/** Creates and fills the generated tables server-side, then refreshes the planner statistics. */
async function loadSchema(database: Database, tables: GeneratedTable[]): Promise<void> {
  const mysql = database.dialect.family === 'mysql'
  const stamp = mysql ? sql`datetime` : sql`timestamp`
  for (const table of tables) {
    const child = table.references.length > 0
    const columns = [
      sql`id bigint primary key`,
      ...table.references.map((reference) => sql`${sql.id(reference.column)} bigint`),
      ...(table.lookAlike ? [sql`${sql.id(table.lookAlike)} bigint`] : []),
      ...(child
        ? [
            sql`amount numeric(12,2)`,
            sql`quantity int`,
            sql`status smallint`,
            sql`is_active smallint`,
            sql`created_at ${stamp}`,
            sql`external_number bigint`,
          ]
        : [sql`name varchar(40)`]),
    ]
    await sql`create table ${sql.id(table.name)} (${sql.join(columns)})`.execute(database.db)
    const values = [
      sql`seq`,
      ...table.references.map((reference, i) => referenceSql(reference, i, tables, mysql)),
      ...(table.lookAlike ? [sql`seq * 7 + 5000000000`] : []),
      ...(child
        ? [sql`(seq % 1000) / 7.0`, sql`seq % 17`, sql`seq % 5 + 1`, sql`seq % 2`, sql`now()`, sql`seq * 31 + 1000000000`]
        : [mysql ? sql`concat('n', seq)` : sql`'n' || seq`]),
    ]
    await sql`insert into ${sql.id(table.name)} select ${sql.join(values)} from ${sequenceSql(database, table.rows)}`.execute(database.db)
  }
  await analyze(
    database,
    tables.map((table) => table.name),
  )
}

/** Precision and recall of the accepted candidates against the generated references. */
function score(report: InferReport, tables: GeneratedTable[]): { precision: number; recall: number; truth: number } {
  const truth = new Set(
    tables.flatMap((table) =>
      table.references.map((reference) => `${table.name}(${reference.column}) -> ${(tables[reference.parent] as GeneratedTable).name}(id)`),
    ),
  )
  const accepted = report.candidates
    .filter((candidate) => candidate.accepted)
    .map((candidate) => `${candidate.child} -> ${candidate.parent}`)
  const right = accepted.filter((key) => truth.has(key)).length
  return { precision: accepted.length === 0 ? 0 : right / accepted.length, recall: right / truth.size, truth: truth.size }
}

async function benchEngine(engine: Engine): Promise<{ row: Record<string, Cell>; note: string }> {
  const total = Math.round(TOTAL_ROWS * SCALE[engine])
  const tables = generateSchema(total)
  return withBenchDatabase(engine, async ({ database }) => {
    const loadStarted = performance.now()
    await loadSchema(database, tables)
    const loadMs = performance.now() - loadStarted
    const counted = countStatements(database)
    const started = performance.now()
    const report = await inferRelations(counted.database)
    const ms = performance.now() - started
    const { precision, recall, truth } = score(report, tables)
    const rows = tables.reduce((sum, table) => sum + table.rows, 0)
    const q = report.queries
    return {
      row: {
        engine: ENGINE_LABELS[engine],
        tables: report.tables,
        rows: rows.toLocaleString('en'),
        'infer ms': ms.toFixed(0),
        'statements (all)': counted.count(),
        'samples / full reads / parent stats': `${q.samples} / ${q.exact} / ${q.parentStats}`,
        candidates: report.candidates.length,
        accepted: report.candidates.filter((candidate) => candidate.accepted).length,
        'true relations': truth,
        precision: precision.toFixed(3),
        recall: recall.toFixed(3),
        'peak RSS MiB': peakRssMib(),
      },
      note: `${ENGINE_LABELS[engine]}: ${rows.toLocaleString('en')} rows generated, loaded and analyzed in ${(loadMs / 1000).toFixed(1)} s.`,
    }
  })
}

/** `refguard infer` over a generated 100-table schema without foreign keys: time, statements, and how many relations it got right. */
export const inferBenchmark: Benchmark = {
  name: 'infer',
  description:
    "refguard's inference (inferRelations, default options) over a generated schema of 100 tables and 10M rows on PostgreSQL (1M on MariaDB and PGlite) " +
    'with no declared foreign keys, 1% orphans and 5% NULLs in every reference: time, statements issued, and precision/recall against the generated references.',
  async run() {
    const rows: Record<string, Cell>[] = []
    const notes: string[] = []
    for (const engine of ['postgres', 'mariadb', 'pglite'] as const) {
      const outcome = await benchEngine(engine)
      rows.push(outcome.row)
      notes.push(outcome.note)
    }
    const parents = generateSchema(TOTAL_ROWS).slice(0, PARENTS)
    const sizes = parents.map((table) => table.rows)
    notes.push(
      `20 parents (${Math.min(...sizes).toLocaleString('en')} to ${Math.max(...sizes).toLocaleString('en')} rows on PostgreSQL) and 80 children with 1–4 references each (\`<entity>_id\`, \`<role>_<entity>_id\`, \`<entity>Id\`; some to other children), ` +
        'plus look-alike columns in every child: amount, quantity, status 1–5, a 0/1 flag, a timestamp, another system’s number, and in every third child `legacy_<entity>_id` holding another system’s keys (named like a reference, which the data refutes). Only primary keys are indexed.',
      'Statements (all): every statement inference sent, introspection included, counted by a Kysely plugin; samples / full reads / parent stats break down its data statements ' +
        '(children above 50,000 estimated rows are sampled, 2,000 rows, before every row is read for what the sample leaves standing).',
      `Scale: REFGUARD_BENCH_INFER_ROWS=${TOTAL_ROWS} (default 10000000).`,
    )
    return { rows, notes }
  },
}
