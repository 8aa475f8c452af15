import { actions } from './prisma/actions.js'
import { type CascadeSettings, cascadeCost } from './prisma/cascade-cost.js'
import { type ComparisonRow, type PartResult, tableRow } from './prisma/comparison-row.js'
import { missingParent } from './prisma/missing-parent.js'
import type { PartContext } from './prisma/part-context.js'
import { type RaceSettings, race } from './prisma/race.js'
import { comparisonSchema } from './prisma/schema.js'
import { ensureInstalled, generateClient, installedVersion } from './prisma/setup.js'
import type { Benchmark } from './support/benchmark.js'
import { ENGINE_LABELS, type Engine, withBenchDatabase } from './support/databases.js'

const ENGINES_COMPARED: readonly Engine[] = ['postgres', 'mariadb']
const CASCADE_RUNS = 3

/** A positive integer from the environment (a shorter run for trying things out), or the default. */
function setting(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw}: expected a positive whole number (default ${fallback})`)
  return value
}

function cascadeSizes(): number[] {
  const raw = process.env.REFGUARD_BENCH_CASCADE_SIZES ?? '1000,10000,100000'
  const sizes = raw.split(',').map(Number)
  if (sizes.some((size) => !Number.isInteger(size) || size <= 0 || size % 100 !== 0))
    throw new Error(`REFGUARD_BENCH_CASCADE_SIZES=${raw}: expected positive multiples of 100, comma-separated (default 1000,10000,100000)`)
  return sizes
}

type Part = (context: PartContext) => Promise<PartResult>

/** The parts in the order the table lists them. */
function parts(raceSettings: RaceSettings, cascadeSettings: CascadeSettings): Record<string, Part> {
  return {
    'missing parent': missingParent,
    race: (context) => race(context, raceSettings),
    'cascade cost': (context) => cascadeCost(context, cascadeSettings),
    actions,
  }
}

function methodNotes(raceSettings: RaceSettings, cascadeSettings: CascadeSettings): string[] {
  return [
    `Prisma ${installedVersion('prisma')} (\`prisma-client\` generator, \`relationMode = "prisma"\`), @prisma/adapter-pg ${installedVersion('@prisma/adapter-pg')} and ` +
      `@prisma/adapter-mariadb ${installedVersion('@prisma/adapter-mariadb')} with their default pools of 10 connections; refguard on Kysely pools of 10 connections. ` +
      'bench/prisma is its own package (npm ci there, `prisma generate` offline); tables are created with SQL, never `prisma db push`, with an index on every relation column.',
    'Missing parent: each write references parent 999999, which does not exist, starting from parent 1 with one child; a cell says whether the write was refused ' +
      'and how many orphans it left (a NOT EXISTS count before and after). Native: the same Kysely statement on tables with a FOREIGN KEY. A queued relation checks child writes inline.',
    `Race: ${raceSettings.runs} runs of ${raceSettings.seconds} s per side, alternating which side goes first, on fresh tables each time. Three inserters add a child to a random live parent ` +
      '(Prisma: `child.create({ data: { parent: { connect: { id } } } })`; refguard: an insert through guard.db); two deleters delete a random parent (cascading to its children) and ' +
      'create a replacement with a new id, so an orphan can never be adopted back. Orphans: children whose parent_id matches no parent after the run. "Refused": inserts ' +
      'rejected because the parent was gone (Prisma P2025, refguard ReferentialIntegrityError 23503); totals over all runs.',
    `Cascade cost: root 1 with N descendants (N/100 children, 99 grandchildren each) and root 2 with one child and 99 grandchildren that must stay; tables rebuilt before every run ` +
      `(untimed). Median (and minimum) of ${cascadeSettings.runs} timed runs after one untimed warm-up round, the order of the four cases rotating each round; every run is verified ` +
      '(root 1 and all its descendants gone, root 2 intact, no orphan). Queued: the delete through guard.db (both relations queued), then one in-process worker ' +
      "(`startWorker({ guard, once: true, batchSize: 1000 })`) until the queue is drained; its statements include the worker's claims and job bookkeeping.",
    'Statements: refguard and native are counted at the Kysely connection (every statement whose result came back, BEGIN and COMMIT included); Prisma with its query ' +
      'events plus one BEGIN per COMMIT/ROLLBACK, which the driver adapters send without an event (checked against the calls reaching the pg and mariadb drivers while building this benchmark).',
    'Actions: parent 1 with child 1 (parent_id nullable, default 0; parent 0 exists); parent 1 is deleted and the child looked at. "yes" when the result is what the action ' +
      'means (RESTRICT and NO ACTION: delete refused; CASCADE: child deleted; SET NULL / SET DEFAULT: parent_id NULL / 0). Each Prisma schema is generated on its own, because ' +
      'Prisma validates the action when it generates the client.',
  ]
}

/** Prisma's relationMode="prisma" next to refguard and native foreign keys, on PostgreSQL and MariaDB. */
export const prismaBenchmark: Benchmark = {
  name: 'prisma',
  description:
    'Prisma Client with relationMode = "prisma" next to refguard (inline and queued) and native FOREIGN KEYs on PostgreSQL and MariaDB: writes that reference a ' +
    'missing parent, inserts racing cascading deletes, the cost of a cascade over two levels, and which ON DELETE actions each carries out.',
  async run() {
    const raceSettings = { seconds: setting('REFGUARD_BENCH_RACE_SECONDS', 15), runs: setting('REFGUARD_BENCH_RACE_RUNS', 5) }
    const cascadeSettings = { sizes: cascadeSizes(), runs: CASCADE_RUNS }
    ensureInstalled()
    const rows = new Map<string, ComparisonRow[]>()
    const notes: string[] = []
    for (const engine of ENGINES_COMPARED) {
      const generated = generateClient(`${engine}-comparison`, comparisonSchema(engine))
      if (!generated.ok) throw new Error(`prisma generate refused bench/prisma's comparison schema for ${engine}: ${generated.error}`)
      await withBenchDatabase(engine, async (bench) => {
        const context: PartContext = { engine, label: ENGINE_LABELS[engine], bench, clientEntry: generated.entry }
        for (const [name, part] of Object.entries(parts(raceSettings, cascadeSettings))) {
          console.log(`  ${ENGINE_LABELS[engine]}: ${name} ...`)
          const result = await part(context)
          rows.set(name, [...(rows.get(name) ?? []), ...result.rows])
          notes.push(...result.notes)
        }
      })
    }
    // A note that reads the same on both engines is printed once.
    return { rows: [...rows.values()].flat().map(tableRow), notes: [...methodNotes(raceSettings, cascadeSettings), ...new Set(notes)] }
  },
}
