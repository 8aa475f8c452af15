import { sql } from 'kysely'
import { type CheckReport, DatabaseSet, type ResolvedConfig, resolveConfig, runCheck } from '../src/index.js'
import { loadParentsChildren, type ParentsChildren, type ParentsChildrenSize } from './fixtures/parents-children.js'
import type { Benchmark, Cell } from './support/benchmark.js'
import { type BenchDatabase, ENGINE_LABELS, ENGINES, type Engine, withBenchDatabase } from './support/databases.js'
import { type CountedDatabase, countStatements } from './support/statement-counter.js'
import { formatTiming, measureRotating, peakRssMib, type Timing } from './support/timing.js'

/** The sizes: 10M children on PostgreSQL; MariaDB (and PGlite, for information) at 1M. */
const SIZES: Record<Engine, ParentsChildrenSize> = {
  postgres: { parents: 1_000_000, children: 10_000_000 },
  mariadb: { parents: 100_000, children: 1_000_000 },
  pglite: { parents: 100_000, children: 1_000_000 },
}
const RUNS = 7
const SAMPLE = 5
const RELATION = 'children(parent_id) -> parents(id)'
/** The targets: refguard's time ≤ this × one hand-written NOT EXISTS count. */
const TARGETS = { whole: 1.1, chunked: 1.3 }
/** Larger than any child table: the check reads it in one statement. */
const WHOLE_TABLE = 1e12
/** refguard's automatic chunk: max(MIN_CHUNK_ROWS, PARENT_ROWS_PER_CHUNK × parent rows), as src/audit/scan.ts picks it. */
/** refguard's automatic chunk for a child walked by ranges of an indexed reference column. */
const AUTO_CHUNK_ROWS = 1_000_000

/** The query a person would write by hand to count orphans. */
const BASELINE = sql<{ orphans: unknown }>`select count(*) as orphans from children c
  where c.parent_id is not null and not exists (select 1 from parents p where p.id = c.parent_id)`

/** One way of running refguard's check: `chunkRows` undefined is the automatic chunk size. */
interface CheckMode {
  name: string
  chunkRows?: number
  target?: number
}

/** The modes measured on one engine: whole table, automatic chunks (or four chunks where automatic is one statement), ten chunks. */
function checkModes(size: ParentsChildrenSize): CheckMode[] {
  const quarter = size.children / 4
  const tenth = size.children / 10
  return [
    { name: 'whole table', chunkRows: WHOLE_TABLE, target: TARGETS.whole },
    size.children > AUTO_CHUNK_ROWS
      ? { name: 'chunked (automatic)', target: TARGETS.chunked }
      : { name: `chunked (${quarter.toLocaleString('en')} rows)`, chunkRows: quarter, target: TARGETS.chunked },
    { name: `chunked (${tenth.toLocaleString('en')} rows)`, chunkRows: tenth },
  ]
}

/** refguard's check of the one relation through the public library API, sample keys included. */
async function refguardCheck(config: ResolvedConfig, counted: CountedDatabase, mode: CheckMode): Promise<CheckReport> {
  const databases = new DatabaseSet(config, { main: counted.database })
  try {
    return await runCheck(config, databases, { sample: SAMPLE, ...(mode.chunkRows ? { chunkRows: mode.chunkRows } : {}) })
  } finally {
    await databases.close()
  }
}

/** Throws unless refguard's report agrees with the hand-written count and with what the fixture built. */
function assertReport(label: string, report: CheckReport, fixture: ParentsChildren, baseline: number): void {
  const relation = report.relations[0]
  const zeros = report.findings.find((finding) => finding.kind === 'sentinel' && finding.value === 0)?.count ?? 0
  const samples = JSON.stringify(relation?.samples.map((key) => key.parent_id))
  const expected = JSON.stringify(fixture.smallestOrphanKeys(SAMPLE))
  const problems = [
    relation?.orphans !== baseline || baseline !== fixture.orphans
      ? `orphan counts disagree — refguard ${relation?.orphans}, hand-written NOT EXISTS ${baseline}, fixture built ${fixture.orphans}`
      : '',
    relation?.rowsChecked !== fixture.children ? `rows checked ${relation?.rowsChecked}, the child table has ${fixture.children}` : '',
    zeros !== fixture.zeros ? `sentinel 0 on ${zeros} rows, the fixture has ${fixture.zeros}` : '',
    samples !== expected ? `samples ${samples}, expected ${expected}` : '',
    report.complete ? '' : 'the report is incomplete',
  ].filter(Boolean)
  if (problems.length > 0) throw new Error(`${label}: ${problems.join('; ')}`)
}

function ratio(timing: Timing, baseline: Timing): number {
  return timing.median / baseline.median
}

interface EngineOutcome {
  rows: Record<string, Cell>[]
  note: string
}

/** Loads the fixture on one engine and times each check mode against the hand-written query, interleaved. */
async function benchEngine({ engine, url, database }: BenchDatabase): Promise<EngineOutcome> {
  const label = ENGINE_LABELS[engine]
  const size = SIZES[engine]
  const loadStarted = performance.now()
  const fixture = await loadParentsChildren(database, size)
  const loadMs = performance.now() - loadStarted
  const config = resolveConfig({ databases: { main: url }, relations: [RELATION] })
  const modes = checkModes(size)
  const baseline = async () => Number((await BASELINE.execute(database.db)).rows[0]?.orphans)

  // The warm-up round asserts every mode's report and counts its statements; it is not timed.
  const orphans = await baseline()
  const warmUp = new Map<string, { counted: CountedDatabase; statements: number; chunks: number }>()
  for (const mode of modes) {
    const counted = countStatements(database)
    const report = await refguardCheck(config, counted, mode)
    assertReport(`${label}, ${mode.name}`, report, fixture, orphans)
    warmUp.set(mode.name, { counted, statements: counted.count(), chunks: report.relations[0]?.scan.chunks ?? 0 })
    counted.reset()
  }

  const cases: Record<string, () => Promise<unknown>> = { 'NOT EXISTS': baseline }
  for (const mode of modes) {
    const { counted } = warmUp.get(mode.name) as { counted: CountedDatabase }
    cases[mode.name] = () => refguardCheck(config, counted, mode)
  }
  const timings = await measureRotating(RUNS, cases)
  for (const [name, { counted, statements }] of warmUp) {
    if (counted.count() !== statements * RUNS) {
      throw new Error(`${label}, ${name}: refguard issued ${counted.count()} statements in ${RUNS} checks, expected ${statements} each`)
    }
  }
  const rssMib = peakRssMib()
  const notExists = timings['NOT EXISTS'] as Timing
  return {
    rows: modes.map((mode) => {
      const timing = timings[mode.name] as Timing
      const { statements, chunks } = warmUp.get(mode.name) as { statements: number; chunks: number }
      const value = ratio(timing, notExists)
      return {
        engine: label,
        'children / parents': `${size.children.toLocaleString('en')} / ${size.parents.toLocaleString('en')}`,
        mode: mode.name,
        chunks,
        'statements per check': statements,
        'refguard ms': formatTiming(timing),
        'NOT EXISTS ms': formatTiming(notExists),
        'refguard / NOT EXISTS': `${value.toFixed(2)}×`,
        'ratio of minimums': `${(timing.min / notExists.min).toFixed(2)}×`,
        target: mode.target ? `≤ ${mode.target.toFixed(1)}×` : '—',
        met: mode.target ? (value <= mode.target ? 'yes' : 'no') : '—',
        'peak RSS MiB': rssMib,
      }
    }),
    note: `${label}: fixture loaded, indexed and analyzed in ${(loadMs / 1000).toFixed(1)} s; ${fixture.orphans.toLocaleString('en')} orphans (${fixture.zeros} of them 0), ${fixture.nulls.toLocaleString('en')} NULL keys.`,
  }
}

/** `refguard check` of one relation, whole-table and chunked, next to a hand-written NOT EXISTS count, on every engine. */
export const auditBenchmark: Benchmark = {
  name: 'audit',
  description:
    "refguard's check of one relation (orphans, sentinel counts and sample keys) over a 10M-row child table on PostgreSQL and a 1M-row one on MariaDB and PGlite, " +
    'read whole and in chunks, next to one hand-written NOT EXISTS count in the same run.',
  async run() {
    const outcomes: EngineOutcome[] = []
    // PGlite runs last: it keeps its whole database in this process, which would swamp the servers' peak RSS.
    for (const engine of ENGINES) outcomes.push(await withBenchDatabase(engine, benchEngine))
    return {
      rows: outcomes.flatMap((outcome) => outcome.rows),
      notes: [
        '`parents(id int primary key)`; `children(id int primary key, parent_id int)` with an index on parent_id, bulk-loaded server-side ' +
          '(generate_series on PostgreSQL and PGlite, the Sequence engine on MariaDB), then `VACUUM ANALYZE` (PostgreSQL, PGlite) or ' +
          '`ANALYZE TABLE` (MariaDB). Child i references parent (i mod P) · 2017 mod P + 1 — neighbouring children reference distant parents — ' +
          'except 0.1% NULL keys, 0.1% orphans past the last parent and 0.001% sentinel zeros (orphans too), spread evenly over the table.',
        `refguard: \`runCheck(config, new DatabaseSet(config, { main }), { sample: ${SAMPLE}, chunkRows })\` for \`${RELATION}\` — introspection, ` +
          'validation, and per chunk one statement that counts rows, orphans and sentinel orphans and gathers the sample keys. ' +
          `Whole table: \`chunkRows: ${WHOLE_TABLE}\`; automatic: no chunkRows, which walks the indexed parent_id in ranges of about ` +
          `${AUTO_CHUNK_ROWS.toLocaleString('en')} rows (the same range on parents.id, so each chunk merges two index range scans) and then the NULL keys; ` +
          'on the 1M-row tables that would be one statement, so four chunks are measured against the target instead; ten chunks for information.',
        'NOT EXISTS: `select count(*) from children c where c.parent_id is not null and not exists (select 1 from parents p where p.id = c.parent_id)`, ' +
          'on the same connection pool; it counts orphans only (no row count, no sentinels, no samples).',
        `Times: median (and minimum) of ${RUNS} runs after one untimed warm-up run of each mode that asserts refguard's orphans equal the ` +
          "hand-written count and the fixture's, its rows checked, its sentinel-0 count and its samples (the smallest orphaned keys); " +
          'the order of the cases rotates each round. refguard / NOT EXISTS divides the medians, which the target applies to; the ratio of ' +
          'minimums (the least disturbed runs) is shown too, because other work on the machine shows in single runs.',
        'Statements per check: every statement refguard sent through the connection it was given (introspection, row estimates, chunk bounds, ' +
          'one counting statement per chunk), counted by a Kysely plugin and asserted identical on every run.',
        "Peak RSS: the Node process's high-water mark after that engine ran (cumulative across engines; the database servers' memory is not " +
          'included, PGlite runs inside this process).',
        ...outcomes.map((outcome) => outcome.note),
      ],
    }
  },
}
