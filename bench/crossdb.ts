import { sql } from 'kysely'
import { type CheckReport, type Database, DatabaseSet, type ResolvedConfig, resolveConfig, runCheck } from '../src/index.js'
import { analyze, loadParentsChildren, type ParentsChildren, sequenceSql } from './fixtures/parents-children.js'
import type { Benchmark, Cell } from './support/benchmark.js'
import { type BenchDatabase, ENGINE_LABELS, withBenchDatabase } from './support/databases.js'
import { formatTiming, measureRotating, peakRssMib, type Timing } from './support/timing.js'

/** The issue's sizes, scaled by REFGUARD_BENCH_SCALE (e.g. 0.1 for a quick run). */
const SCALE = Number(process.env.REFGUARD_BENCH_SCALE ?? 1)
const SIZE = { parents: Math.round(1_000_000 * SCALE), children: Math.round(10_000_000 * SCALE) }
const RUNS = 3
const SAMPLE = 5
/** The issue's targets: child keys per second across databases, and the Node process's peak RSS. */
const TARGETS = { keysPerSecond: 1_000_000, peakRssMib: 300 }

/** The hand-written count inside one database. */
const NOT_EXISTS = sql<{ orphans: unknown }>`select count(*) as orphans from children c
  where c.parent_id is not null and not exists (select 1 from parents p where p.id = c.parent_id)`

/** `parents(id)` 1..P in a database of its own, the same keys as the fixture's parents. */
async function loadParents(database: Database, parents: number): Promise<void> {
  await sql`create table parents (id int primary key)`.execute(database.db)
  await sql`insert into parents (id) select seq from ${sequenceSql(database, parents)}`.execute(database.db)
  if (database.dialect.family === 'postgres') await sql`vacuum analyze parents`.execute(database.db)
  else await analyze(database, ['parents'])
}

/** One way of counting: a config and the databases it reads. */
interface CountCase {
  name: string
  parentEngine: string
  config: ResolvedConfig
  provided: Record<string, Database>
}

async function check(countCase: CountCase): Promise<CheckReport> {
  const databases = new DatabaseSet(countCase.config, countCase.provided)
  try {
    return await runCheck(countCase.config, databases, { sample: SAMPLE })
  } finally {
    await databases.close()
  }
}

function assertReport(name: string, report: CheckReport, fixture: ParentsChildren, notExists: number): void {
  const relation = report.relations[0]
  const samples = JSON.stringify(relation?.samples.map((key) => key.parent_id))
  const expected = JSON.stringify(fixture.smallestOrphanKeys(SAMPLE))
  const problems = [
    relation?.orphans !== fixture.orphans || notExists !== fixture.orphans
      ? `orphans: refguard ${relation?.orphans}, NOT EXISTS ${notExists}, fixture ${fixture.orphans}`
      : '',
    relation?.rowsChecked !== fixture.children ? `rows checked ${relation?.rowsChecked}, the child table has ${fixture.children}` : '',
    samples !== expected ? `samples ${samples}, expected ${expected}` : '',
    report.complete ? '' : 'the report is incomplete',
  ].filter(Boolean)
  if (problems.length > 0) throw new Error(`${name}: ${problems.join('; ')}`)
}

/** Loads the child database (children and parents) and parent-only databases, then times every way of counting, interleaved. */
async function benchCounts(child: BenchDatabase, postgresParents: BenchDatabase, mariadbParents: BenchDatabase) {
  const loadStarted = performance.now()
  const fixture = await loadParentsChildren(child.database, SIZE)
  await loadParents(postgresParents.database, SIZE.parents)
  await loadParents(mariadbParents.database, SIZE.parents)
  const loadMs = performance.now() - loadStarted
  const relation = {
    child: { table: 'children', columns: ['parent_id'] },
    parent: { database: 'parents', table: 'parents', columns: ['id'] },
  }
  const sameDatabase = { child: relation.child, parent: { table: 'parents', columns: ['id'] } }
  const cases: CountCase[] = [
    {
      name: 'one database (refguard check)',
      parentEngine: ENGINE_LABELS.postgres,
      config: resolveConfig({ databases: { main: child.url }, relations: [sameDatabase] }),
      provided: { main: child.database },
    },
    {
      name: 'two databases (refguard check)',
      parentEngine: ENGINE_LABELS.postgres,
      config: resolveConfig({ databases: { main: child.url, parents: postgresParents.url }, relations: [relation] }),
      provided: { main: child.database, parents: postgresParents.database },
    },
    {
      name: 'two databases (refguard check)',
      parentEngine: ENGINE_LABELS.mariadb,
      config: resolveConfig({ databases: { main: child.url, parents: mariadbParents.url }, relations: [relation] }),
      provided: { main: child.database, parents: mariadbParents.database },
    },
  ]
  const notExists = async () => Number((await NOT_EXISTS.execute(child.database.db)).rows[0]?.orphans)
  const orphans = await notExists()
  const rssBefore = peakRssMib()
  const scans = new Map<string, string>()
  for (const countCase of cases) {
    const report = await check(countCase)
    assertReport(`${countCase.name}, parents on ${countCase.parentEngine}`, report, fixture, orphans)
    scans.set(`${countCase.name} ${countCase.parentEngine}`, `${report.relations[0]?.scan.chunks} pages/chunks`)
  }
  const timed: Record<string, () => Promise<unknown>> = { 'NOT EXISTS': notExists }
  cases.forEach((countCase, i) => {
    timed[String(i)] = () => check(countCase)
  })
  const timings = await measureRotating(RUNS, timed)
  return { cases, timings, loadMs, rssBefore, scans }
}

function keysPerSecond(timing: Timing): number {
  return Math.round(SIZE.children / (timing.median / 1000))
}

/** 10M child keys against 1M parent keys in another database, next to the same count inside one database. */
export const crossdbBenchmark: Benchmark = {
  name: 'crossdb',
  description:
    `refguard's check of a relation whose ${SIZE.children.toLocaleString('en')} child rows are in one PostgreSQL database and whose ` +
    `${SIZE.parents.toLocaleString('en')} parents are in another database (PostgreSQL, MariaDB): the paged merge anti-join, next to the same count inside one database.`,
  async run() {
    const outcome = await withBenchDatabase('postgres', (child) =>
      withBenchDatabase('postgres', (postgresParents) =>
        withBenchDatabase('mariadb', (mariadbParents) => benchCounts(child, postgresParents, mariadbParents)),
      ),
    )
    const peak = peakRssMib()
    const notExists = outcome.timings['NOT EXISTS'] as Timing
    const rows: Record<string, Cell>[] = [
      {
        case: 'one database (NOT EXISTS by hand)',
        'child / parent engine': `${ENGINE_LABELS.postgres} / same database`,
        'ms (median, min)': formatTiming(notExists),
        'child keys/s': keysPerSecond(notExists).toLocaleString('en'),
        target: '—',
        met: '—',
      },
      ...outcome.cases.map((countCase, i) => {
        const timing = outcome.timings[String(i)] as Timing
        const cross = countCase.name.startsWith('two')
        const rate = keysPerSecond(timing)
        return {
          case: countCase.name,
          'child / parent engine': `${ENGINE_LABELS.postgres} / ${cross ? `${countCase.parentEngine} (another database)` : 'same database'}`,
          'ms (median, min)': formatTiming(timing),
          'child keys/s': rate.toLocaleString('en'),
          target: cross ? `≥ ${TARGETS.keysPerSecond.toLocaleString('en')} keys/s` : '—',
          met: cross ? (rate >= TARGETS.keysPerSecond ? 'yes' : 'no') : '—',
        }
      }),
    ]
    return {
      rows,
      notes: [
        `Peak RSS of the Node process: ${peak} MiB after every run (target ≤ ${TARGETS.peakRssMib} MiB: ${peak <= TARGETS.peakRssMib ? 'met' : 'missed'}); ${outcome.rssBefore} MiB before the first check.`,
        '`children(id int primary key, parent_id int)` (index on parent_id) and `parents(id int primary key)` in one PostgreSQL database, as in the audit benchmark ' +
          '(0.1% NULL keys, 0.1% orphans past the last parent, 0.001% sentinel zeros); the same parents 1..P in a second PostgreSQL database and in a MariaDB database. ' +
          `Loaded, indexed and analyzed in ${(outcome.loadMs / 1000).toFixed(1)} s.`,
        'One database: `runCheck` for `children(parent_id) -> parents(id)` (automatic chunks) and the hand-written NOT EXISTS count. Two databases: `runCheck` for the same ' +
          'relation with `parent: { database: "parents" }`: the child keys grouped and read in keyset pages of 20,000 distinct keys, the parent keys read alongside in pages ' +
          'of 20,000 (each side one page ahead), merged in Node, orphans confirmed by a point read of the parent.',
        `Every check's report is asserted first (orphans equal the NOT EXISTS count and the fixture's, rows checked, samples, complete); ${[...outcome.scans].map(([name, scan]) => `${name}: ${scan}`).join('; ')}.`,
        `Times: median (and minimum) of ${RUNS} runs per case, the cases' order rotating each round. Child keys/s = ${SIZE.children.toLocaleString('en')} child rows ÷ median time.`,
      ],
    }
  },
}
