import type { Kysely } from 'kysely'
import { createGuard, type Database, type Guard, ReferentialIntegrityError } from '../src/index.js'
import {
  CHILD_TABLES,
  createParentsAndChildren,
  rebuildTree,
  rowCount,
  TREE_TABLES,
  type TreeShape,
  truncateChildren,
} from './fixtures/enforce-tables.js'
import type { Benchmark, Cell } from './support/benchmark.js'
import { type BenchDatabase, ENGINE_LABELS, type Engine, withBenchDatabase } from './support/databases.js'
import { type CountedDatabase, countStatements } from './support/statement-counter.js'
import { formatTiming, measureRotating, type StagedCase, type Timing } from './support/timing.js'

const PARENTS = 10_000
const BULK = { rows: 100_000, batch: 1_000 }
const SINGLE_ROWS = 5_000
const TREE: TreeShape = { customers: 2, ordersPerCustomer: 100, linesPerOrder: 1_000 }
const ROOT_DESCENDANTS = TREE.ordersPerCustomer * (1 + TREE.linesPerOrder)
const RUNS = 5
const ENGINES_MEASURED: readonly Engine[] = ['postgres', 'mariadb']
const CHILD_RELATION = `${CHILD_TABLES.plain}(parent_id) -> parents(id)`
const TREE_RELATIONS = [
  `${TREE_TABLES.plain.orders}(customer_pk) -> ${TREE_TABLES.plain.customers}(customer_pk) on delete cascade`,
  `${TREE_TABLES.plain.lines}(order_pk) -> ${TREE_TABLES.plain.orders}(order_pk) on delete cascade`,
]
/** The issue's targets: refguard throughput ≥ this × native FK (inserts), refguard time ≤ this × native (cascade). */
const TARGETS = { bulk: 1.0, single: 0.7, cascade: 1.5 }

type Variant = 'native' | 'none' | 'refguard'

/** One measured case: `prepare` puts the tables in their starting state, `run` is timed, `verify` asserts its effect (both untimed). */
type EnforceCase = Required<StagedCase>

interface ScenarioOutcome {
  row: Record<string, Cell>
  notes: string[]
}

/** Runs each case once untimed (warm-up) and returns the statements it issued. */
async function warmUp<K extends string>(counter: CountedDatabase, cases: Record<K, EnforceCase>): Promise<Record<K, number>> {
  const counts = {} as Record<K, number>
  for (const name of Object.keys(cases) as K[]) {
    await cases[name].prepare()
    counter.reset()
    await cases[name].run()
    counts[name] = counter.count()
    await cases[name].verify()
  }
  return counts
}

interface ChildRow {
  id: number
  parent_id: number
  payload: string
}

function childRow(id: number): ChildRow {
  // 7919 is prime to PARENTS, so any 1,000 consecutive children have 1,000 different parents.
  return { id, parent_id: ((id * 7919) % PARENTS) + 1, payload: `payload of child ${id}` }
}

function rowsPerSecond(rows: number, timing: Timing): number {
  return rows / (timing.median / 1000)
}

function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString('en')
}

function ratio(value: number): string {
  return `${value.toFixed(2)}×`
}

function assertEqual(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected.toLocaleString('en')}, found ${actual.toLocaleString('en')}`)
}

/** Before measuring, proves the guard enforces: an insert whose parent is missing must throw. */
async function assertGuardRejectsOrphans(guard: Guard): Promise<void> {
  const orphan = { id: 0, parent_id: PARENTS + 1, payload: 'orphan' }
  const error = await guard.db
    .insertInto(CHILD_TABLES.plain)
    .values(orphan)
    .execute()
    .then(
      () => undefined,
      (e: unknown) => e,
    )
  if (!(error instanceof ReferentialIntegrityError)) throw new Error(`guard.db accepted an orphan child: ${String(error)}`)
}

/** The three insert variants of one scenario, each writing `rows` with `write`. */
function insertCases(
  database: Database,
  counter: CountedDatabase,
  guard: Guard,
  rows: ChildRow[],
  write: (db: Kysely<any>, table: string, rows: ChildRow[]) => Promise<void>,
): Record<Variant, EnforceCase> {
  const variant = (db: Kysely<any>, table: string): EnforceCase => ({
    prepare: () => truncateChildren(database, table),
    run: () => write(db, table, rows),
    verify: async () => assertEqual(`rows in ${table}`, await rowCount(database, table), rows.length),
  })
  return {
    native: variant(counter.database.db, CHILD_TABLES.foreignKey),
    none: variant(counter.database.db, CHILD_TABLES.plain),
    refguard: variant(guard.db, CHILD_TABLES.plain),
  }
}

async function insertInBatches(db: Kysely<any>, table: string, rows: ChildRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += BULK.batch) {
    await db
      .insertInto(table)
      .values(rows.slice(start, start + BULK.batch))
      .execute()
  }
}

async function insertOneByOne(db: Kysely<any>, table: string, rows: ChildRow[]): Promise<void> {
  for (const row of rows) await db.insertInto(table).values(row).execute()
}

/** Measures one insert scenario and lays it out as a table row; `writes` is how many statements the user issued. */
async function insertScenario(
  label: string,
  caseName: string,
  target: number,
  cases: Record<Variant, EnforceCase>,
  counter: CountedDatabase,
  rows: number,
  writes: number,
): Promise<ScenarioOutcome> {
  const statements = await warmUp(counter, cases)
  const timings = await measureRotating(RUNS, cases)
  const rates = {
    native: rowsPerSecond(rows, timings.native),
    none: rowsPerSecond(rows, timings.none),
    refguard: rowsPerSecond(rows, timings.refguard),
  }
  const perWrite = (variant: Variant) => statements[variant] / writes
  return {
    row: {
      engine: label,
      case: caseName,
      'native FK': `${formatRate(rates.native)} rows/s`,
      'no constraint': `${formatRate(rates.none)} rows/s`,
      refguard: `${formatRate(rates.refguard)} rows/s`,
      'refguard / native': ratio(rates.refguard / rates.native),
      'refguard / none': ratio(rates.refguard / rates.none),
      target: `≥ ${ratio(target)} native`,
      met: rates.refguard / rates.native >= target ? 'yes' : 'no',
      'statements per write (native / none / refguard)': `${perWrite('native')} / ${perWrite('none')} / ${perWrite('refguard')}`,
    },
    notes: [
      `${label}, ${caseName}: ms per ${rows.toLocaleString('en')} rows, median (min) — native FK ${formatTiming(timings.native)}, ` +
        `no constraint ${formatTiming(timings.none)}, refguard ${formatTiming(timings.refguard)}.`,
    ],
  }
}

/** Cascade delete of one root with its orders and lines: native ON DELETE CASCADE vs refguard's inline cascade. */
async function cascadeScenario(label: string, database: Database, counter: CountedDatabase, guard: Guard): Promise<ScenarioOutcome> {
  const variant = (tables: typeof TREE_TABLES.plain, foreignKeys: boolean, db: Kysely<any>): EnforceCase => ({
    prepare: () => rebuildTree(database, tables, TREE, foreignKeys),
    run: () => db.deleteFrom(tables.customers).where('customer_pk', '=', 1).execute(),
    verify: async () => {
      const survivors = TREE.customers - 1
      assertEqual(`orders left in ${tables.orders}`, await rowCount(database, tables.orders), TREE.ordersPerCustomer * survivors)
      assertEqual(
        `lines left in ${tables.lines}`,
        await rowCount(database, tables.lines),
        TREE.ordersPerCustomer * TREE.linesPerOrder * survivors,
      )
    },
  })
  const cases = {
    native: variant(TREE_TABLES.foreignKey, true, counter.database.db),
    refguard: variant(TREE_TABLES.plain, false, guard.db),
  }
  const statements = await warmUp(counter, cases)
  const timings = await measureRotating(RUNS, cases)
  const timeRatio = timings.refguard.median / timings.native.median
  return {
    row: {
      engine: label,
      case: `cascade delete of 1 root + ${ROOT_DESCENDANTS.toLocaleString('en')} descendants`,
      'native FK': `${formatTiming(timings.native)} ms`,
      'no constraint': '—',
      refguard: `${formatTiming(timings.refguard)} ms`,
      'refguard / native': ratio(timeRatio),
      'refguard / none': '—',
      target: `≤ ${ratio(TARGETS.cascade)} native time`,
      met: timeRatio <= TARGETS.cascade ? 'yes' : 'no',
      'statements per write (native / none / refguard)': `${statements.native} / — / ${statements.refguard}`,
    },
    notes: [],
  }
}

/** All three scenarios on one engine, in its own fresh database. */
async function benchEngine({ engine, database }: BenchDatabase): Promise<ScenarioOutcome[]> {
  const label = ENGINE_LABELS[engine]
  const counter = countStatements(database)
  await createParentsAndChildren(database, PARENTS)
  await rebuildTree(database, TREE_TABLES.plain, TREE, false)
  const childGuard = await createGuard({ db: counter.database.db, relations: [CHILD_RELATION] })
  const treeGuard = await createGuard({ db: counter.database.db, relations: TREE_RELATIONS })
  try {
    await assertGuardRejectsOrphans(childGuard)
    const bulkRows = Array.from({ length: BULK.rows }, (_, i) => childRow(i + 1))
    const singleRows = bulkRows.slice(0, SINGLE_ROWS)
    const bulk = await insertScenario(
      label,
      `bulk insert, ${BULK.batch.toLocaleString('en')}-row batches`,
      TARGETS.bulk,
      insertCases(database, counter, childGuard, bulkRows, insertInBatches),
      counter,
      BULK.rows,
      BULK.rows / BULK.batch,
    )
    const single = await insertScenario(
      label,
      'single-row inserts, autocommit',
      TARGETS.single,
      insertCases(database, counter, childGuard, singleRows, insertOneByOne),
      counter,
      SINGLE_ROWS,
      SINGLE_ROWS,
    )
    const cascade = await cascadeScenario(label, database, counter, treeGuard)
    return [bulk, single, cascade]
  } finally {
    await childGuard.close()
    await treeGuard.close()
  }
}

/** refguard's enforcement next to native FOREIGN KEYs and no constraint at all, on PostgreSQL and MariaDB. */
export const enforceBenchmark: Benchmark = {
  name: 'enforce',
  description:
    'Writes through `guard.db` (refguard enforcing relations inline) next to the same writes against a native FOREIGN KEY and against no constraint at all: bulk and single-row child inserts, and a three-level cascade delete.',
  async run() {
    const outcomes: ScenarioOutcome[] = []
    for (const engine of ENGINES_MEASURED) outcomes.push(...(await withBenchDatabase(engine, benchEngine)))
    return {
      rows: outcomes.map((outcome) => outcome.row),
      notes: [
        `Insert fixture: \`parents(id int primary key)\` with ${PARENTS.toLocaleString('en')} rows; two child tables \`(id int primary key, parent_id int not null, payload varchar(64) not null)\` ` +
          'with the same index on parent_id, one declaring `FOREIGN KEY (parent_id) REFERENCES parents (id)` (native), one declaring nothing ' +
          `(no constraint, and refguard through \`guard.db\` with \`${CHILD_RELATION}\`). Child i has parent (i·7919 mod ${PARENTS}) + 1, so every batch holds ${BULK.batch.toLocaleString('en')} different parents.`,
        `Bulk insert: ${BULK.rows.toLocaleString('en')} rows as ${BULK.rows / BULK.batch} autocommitted multi-row \`insertInto(...).values([...${BULK.batch} rows])\`; ` +
          `single-row: the first ${SINGLE_ROWS.toLocaleString('en')} of those rows, one autocommitted insert each. The child table is truncated before every run (untimed); ` +
          'a count(*) after every run (untimed) asserts every row arrived.',
        `Cascade fixture: customers → orders → lines, ${TREE.customers} customers × ${TREE.ordersPerCustomer} orders × ${TREE.linesPerOrder.toLocaleString('en')} lines, ` +
          'dropped, recreated, loaded set-based and analyzed before every run (untimed). Native: ON DELETE CASCADE constraints; refguard: the same tables without ' +
          `constraints and \`${TREE_RELATIONS.join('`, `')}\`. Timed: deleting customer 1 (${ROOT_DESCENDANTS.toLocaleString('en')} descendants); counts after every run (untimed) assert exactly its orders and lines went and the other customer's stayed.`,
        `Times: median (and minimum) of ${RUNS} runs after one untimed warm-up run of each case; variants are interleaved and the order rotates each round. Rows/s = rows ÷ median time.`,
        'Statements per write: every statement that reached the driver during the warm-up, counted when its result arrived (begin/commit included), divided by the writes the user issued. ' +
          'Native and no-constraint writes are one statement each; the database checks a native FK inside that statement.',
        ...outcomes.flatMap((outcome) => outcome.notes),
      ],
    }
  },
}
