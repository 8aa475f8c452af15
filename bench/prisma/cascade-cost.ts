import { type Kysely, sql } from 'kysely'
import { createGuard, ensureJobTables, type Guard, startWorker } from '../../src/index.js'
import { countStatements } from '../support/statement-counter.js'
import { formatTiming, measureRotating, type StagedCase, type Timing } from '../support/timing.js'
import { type ComparisonClient, openPrisma } from './client.js'
import { type ComparisonRow, formatCount, type PartResult } from './comparison-row.js'
import type { PartContext } from './part-context.js'
import { countRows, createTree, LEAVES_PER_MID } from './tables.js'

/** Descendants of the deleted root per size, and timed runs per case (after one untimed warm-up round). */
export interface CascadeSettings {
  sizes: number[]
  runs: number
}

const CASES = ['prisma', 'inline', 'queued', 'native'] as const
type CascadeCase = (typeof CASES)[number]

/** Worker batch size (refguard's default). */
const BATCH = 1000

function relations(mode: 'inline' | 'queued'): string[] {
  return [`mids(root_id) -> roots(id) on delete cascade mode ${mode}`, `leaves(mid_id) -> mids(id) on delete cascade mode ${mode}`]
}

/** Root 1 and all its descendants are gone; root 2 kept its mid and that mid's leaves. */
async function verifyTree(db: Kysely<any>, label: string): Promise<void> {
  const counts = {
    roots: await countRows(db, sql`roots`),
    mids: await countRows(db, sql`mids`),
    leaves: await countRows(db, sql`leaves`),
    orphanedMids: await countRows(db, sql`mids m where not exists (select 1 from roots r where r.id = m.root_id)`),
    orphanedLeaves: await countRows(db, sql`leaves l where not exists (select 1 from mids m where m.id = l.mid_id)`),
  }
  const expected = { roots: 1, mids: 1, leaves: LEAVES_PER_MID, orphanedMids: 0, orphanedLeaves: 0 }
  if (JSON.stringify(counts) !== JSON.stringify(expected))
    throw new Error(`cascade ${label}: expected ${JSON.stringify(expected)} after deleting root 1, found ${JSON.stringify(counts)}`)
}

function statementCell(counts: number[]): string {
  const low = Math.min(...counts)
  const high = Math.max(...counts)
  return low === high ? formatCount(low) : `${formatCount(low)}–${formatCount(high)}`
}

/**
 * Deleting a root with 1k / 10k / 100k descendants over two levels: Prisma Client's emulated cascade, refguard
 * inline, refguard queued (the delete, then one worker draining the queue) and native ON DELETE CASCADE.
 */
export async function cascadeCost(context: PartContext, settings: CascadeSettings): Promise<PartResult> {
  const { bench } = context
  const { db } = bench.database
  const counter = countStatements(bench.database)
  const prisma = await openPrisma<ComparisonClient>(context.clientEntry, context.engine, bench.url)
  await ensureJobTables(db, bench.database.dialect.family)
  const rows: ComparisonRow[] = []
  const notes: string[] = []
  try {
    for (const size of settings.sizes) {
      const statements = Object.fromEntries(CASES.map((name) => [name, [] as number[]])) as Record<CascadeCase, number[]>
      const deleteMs: number[] = []
      let guard: Guard | undefined
      const refguardCase = (mode: 'inline' | 'queued'): StagedCase => ({
        prepare: async () => {
          await createTree(bench.database, size, false)
          guard = await createGuard({ db: counter.database.db, relations: relations(mode) })
          counter.reset()
        },
        run: async () => {
          const active = guard as Guard
          const started = performance.now()
          await active.db.deleteFrom('roots').where('id', '=', 1).execute()
          if (mode === 'inline') return
          deleteMs.push(performance.now() - started)
          const worker = await startWorker({ guard: active, once: true, batchSize: BATCH, pollMs: 10 })
          await worker.stopped
        },
        verify: async () => {
          statements[mode].push(counter.count())
          await guard?.close()
          await verifyTree(db, `refguard ${mode}`)
        },
      })
      const cases: Record<CascadeCase, StagedCase> = {
        prisma: {
          prepare: async () => {
            await createTree(bench.database, size, false)
            prisma.reset()
          },
          run: () => prisma.prisma.root.delete({ where: { id: 1 } }),
          verify: async () => {
            statements.prisma.push(prisma.statements())
            await verifyTree(db, 'Prisma')
          },
        },
        inline: refguardCase('inline'),
        queued: refguardCase('queued'),
        native: {
          prepare: async () => {
            await createTree(bench.database, size, true)
            counter.reset()
          },
          run: () => sql`delete from roots where id = 1`.execute(counter.database.db),
          verify: async () => {
            statements.native.push(counter.count())
            await verifyTree(db, 'native')
          },
        },
      }
      await measureRotating(1, cases)
      for (const name of CASES) statements[name] = []
      deleteMs.length = 0
      const timings = (await measureRotating(settings.runs, cases)) as Record<CascadeCase, Timing>
      const cell = (name: CascadeCase, extra = '') =>
        `${formatTiming(timings[name])} ms${extra} · ${statementCell(statements[name])} statements · ` +
        `${(timings[name].median / timings.native.median).toFixed(1)}× native`
      const sortedDeletes = [...deleteMs].sort((a, b) => a - b)
      const deleteMedian = sortedDeletes[Math.floor(sortedDeletes.length / 2)] ?? Number.NaN
      rows.push({
        part: 'cascade cost',
        engine: context.label,
        case: `delete a root with ${formatCount(size)} descendants (${formatCount(size / (LEAVES_PER_MID + 1))} children, ${formatCount((size * LEAVES_PER_MID) / (LEAVES_PER_MID + 1))} grandchildren)`,
        prisma: cell('prisma'),
        inline: cell('inline'),
        queued: cell('queued', ` until drained (the delete itself ${deleteMedian.toFixed(1)} ms)`),
        native: `${formatTiming(timings.native)} ms · ${statementCell(statements.native)} statement${statements.native.every((n) => n === 1) ? '' : 's'}`,
      })
      notes.push(
        `${context.label}, ${formatCount(size)} descendants: Prisma ÷ refguard inline = ${(timings.prisma.median / timings.inline.median).toFixed(2)}× ` +
          `(medians), ${(timings.prisma.min / timings.inline.min).toFixed(2)}× (minimums).`,
      )
    }
  } finally {
    await prisma.close()
  }
  return { rows, notes }
}
