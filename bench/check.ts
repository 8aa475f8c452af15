import { sql } from 'kysely'
import { orphanCountSql, orphanSampleSql } from '../src/audit/orphan-query.js'
import { DatabaseSet, type Relation, type ResolvedConfig, resolveConfig, runCheck } from '../src/index.js'
import { loadParentsChildren, type ParentsChildren } from './fixtures/parents-children.js'
import type { Benchmark, Cell } from './support/benchmark.js'
import { type BenchDatabase, ENGINE_LABELS, ENGINES, type Engine, withBenchDatabase } from './support/databases.js'
import { type CountedDatabase, countStatements } from './support/statement-counter.js'
import { formatTiming, measureRotating, peakRssMib } from './support/timing.js'

const SIZE = { parents: 100_000, children: 1_000_000 }
const RUNS = 5
const SAMPLE = 5
const RELATION = 'children(parent_id) -> parents(id)'

/** The query a person would write by hand to count orphans. */
const BASELINE = sql<{ orphans: unknown }>`select count(*) as orphans from children c
  where c.parent_id is not null and not exists (select 1 from parents p where p.id = c.parent_id)`

interface EngineOutcome {
  row: Record<string, Cell>
  note: string
}

/** refguard's orphan count for the one relation, through the public library API. */
async function refguardOrphans(config: ResolvedConfig, counted: CountedDatabase): Promise<number> {
  const databases = new DatabaseSet(config, { main: counted.database })
  try {
    const report = await runCheck(config, databases, { sample: SAMPLE })
    return report.relations[0]?.orphans ?? Number.NaN
  } finally {
    await databases.close()
  }
}

function assertSameOrphans(engine: Engine, fixture: ParentsChildren, refguard: number, baseline: number): void {
  if (refguard !== baseline || baseline !== fixture.orphans) {
    throw new Error(
      `${ENGINE_LABELS[engine]}: orphan counts disagree — refguard ${refguard}, hand-written NOT EXISTS ${baseline}, fixture built ${fixture.orphans}`,
    )
  }
}

/** Loads the fixture on one engine and times refguard's check against the hand-written query. */
async function benchEngine({ engine, url, database }: BenchDatabase): Promise<EngineOutcome> {
  const loadStarted = performance.now()
  const loaded = await loadParentsChildren(database, SIZE)
  const loadMs = performance.now() - loadStarted
  const config = resolveConfig({ databases: { main: url }, relations: [RELATION] })
  const relation = config.relations[0] as Relation
  const counted = countStatements(database)
  const baseline = async () => Number((await BASELINE.execute(database.db)).rows[0]?.orphans)

  // The warm-up round checks correctness and counts statements; it is not timed.
  const orphans = await refguardOrphans(config, counted)
  const statementsPerCheck = counted.count()
  assertSameOrphans(engine, loaded, orphans, await baseline())

  counted.reset()
  const timings = await measureRotating(RUNS, {
    refguard: () => refguardOrphans(config, counted),
    baseline,
    countStatement: () => orphanCountSql(relation, { parentUnique: true, sentinels: [], sample: 0, samples: 'none' }).execute(database.db),
    sampleStatement: () => orphanSampleSql(relation, SAMPLE).execute(database.db),
  })
  if (counted.count() !== statementsPerCheck * RUNS) {
    throw new Error(
      `${ENGINE_LABELS[engine]}: refguard issued ${counted.count()} statements in ${RUNS} checks, expected ${statementsPerCheck} each`,
    )
  }
  const label = ENGINE_LABELS[engine]
  return {
    row: {
      engine: label,
      'child rows': loaded.children.toLocaleString('en'),
      orphans: orphans.toLocaleString('en'),
      'refguard check ms': formatTiming(timings.refguard),
      'NOT EXISTS ms': formatTiming(timings.baseline),
      'refguard / NOT EXISTS': `${(timings.refguard.median / timings.baseline.median).toFixed(2)}×`,
      'statements per check': statementsPerCheck,
      'peak RSS MiB': peakRssMib(),
    },
    note:
      `${label}: fixture loaded in ${(loadMs / 1000).toFixed(1)} s. Of refguard's check, the statement counting rows checked and orphans ` +
      `takes ${formatTiming(timings.countStatement)} ms and the sample statement ${formatTiming(timings.sampleStatement)} ms ` +
      `(medians measured on their own); the other ${statementsPerCheck - 2} statements introspect the schema.`,
  }
}

/** `refguard check` on a 1M-row child table next to a hand-written NOT EXISTS count, on every engine. */
export const checkBenchmark: Benchmark = {
  name: 'check',
  description: `refguard's orphan check of one relation over a ${SIZE.children.toLocaleString('en')}-row child table, next to a hand-written NOT EXISTS count.`,
  async run() {
    const outcomes: EngineOutcome[] = []
    for (const engine of ENGINES) outcomes.push(await withBenchDatabase(engine, benchEngine))
    return {
      rows: outcomes.map((outcome) => outcome.row),
      notes: [
        `Fixture: \`parents(id int primary key)\` with ${SIZE.parents.toLocaleString('en')} rows; \`children(id int primary key, parent_id int)\` ` +
          `bulk-loaded set-based, 1% orphans (parent_id past the last parent), 1% NULL parent_id, an index on children(parent_id), then ANALYZE.`,
        `refguard check: \`runCheck(config, new DatabaseSet(config, { main }), { sample: ${SAMPLE} })\` for \`${RELATION}\` — ` +
          'introspection, validation, one statement counting rows checked and orphans (NOT EXISTS anti-join), one statement sampling orphaned keys.',
        'NOT EXISTS: `select count(*) from children c where c.parent_id is not null and not exists (select 1 from parents p where p.id = c.parent_id)`.',
        `Times: median (and minimum) of ${RUNS} runs after one untimed warm-up run that also asserts refguard's orphan count equals the hand-written one; ` +
          'the order of the cases rotates each round.',
        'Statements per check: counted by a Kysely plugin on the connection refguard is given, asserted identical on every run; ' +
          'it is a fixed set per relation (introspection, one count, one sample), never one per row.',
        'Peak RSS: the Node process high-water mark after that engine ran (cumulative; PGlite keeps its whole database in process memory).',
        ...outcomes.map((outcome) => outcome.note),
      ],
    }
  },
}
