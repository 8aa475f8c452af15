import { randomInt } from 'node:crypto'
import { createGuard } from '../../src/index.js'
import { countStatements } from '../support/statement-counter.js'
import { type ComparisonClient, type CountedPrisma, openPrisma, transactionEnd } from './client.js'
import { errorLabel, formatCount, isMissingParent, type PartResult } from './comparison-row.js'
import type { PartContext } from './part-context.js'
import { countOrphans, createParentsAndChildren } from './tables.js'

/** The issue's race: 3 child inserters and 2 cascading parent deleters over 2,000 parents. */
const RACE = { parents: 2_000, inserters: 3, deleters: 2 }

/** How long each run lasts and how many runs each side gets. */
export interface RaceSettings {
  seconds: number
  runs: number
}

/** The writes a side of the race makes. */
interface RaceSide {
  insertChild(parentId: number): Promise<unknown>
  /** Deletes a parent; its children go with it (ON DELETE CASCADE). */
  deleteParent(parentId: number): Promise<unknown>
  insertParent(parentId: number): Promise<unknown>
}

interface RaceRun {
  orphans: number
  inserted: number
  /** Child inserts refused because the parent was gone: the check doing its job. */
  refused: number
  deleted: number
  /** Other failures (deadlocks, write conflicts) by error label. */
  errors: Map<string, number>
}

/**
 * One run on fresh tables: inserters add a child to a random live parent, deleters delete a random parent of
 * their own half and create a replacement with a new id (ids are never reused, so no orphan is adopted back),
 * until the time is up; then the children without a parent are counted.
 */
async function raceOnce(context: PartContext, side: RaceSide, seconds: number): Promise<RaceRun> {
  const run: RaceRun = { orphans: 0, inserted: 0, refused: 0, deleted: 0, errors: new Map() }
  const slots = Array.from({ length: RACE.parents }, (_, i) => i + 1)
  let nextId = RACE.parents + 1
  const failed = (error: unknown) => {
    if (isMissingParent(error)) run.refused++
    else run.errors.set(errorLabel(error), (run.errors.get(errorLabel(error)) ?? 0) + 1)
  }
  const deadline = performance.now() + seconds * 1000
  const inserter = async () => {
    while (performance.now() < deadline) {
      try {
        await side.insertChild(slots[randomInt(slots.length)] as number)
        run.inserted++
      } catch (error) {
        failed(error)
      }
    }
  }
  const deleter = async (own: number) => {
    while (performance.now() < deadline) {
      const slot = randomInt(RACE.parents / RACE.deleters) * RACE.deleters + own
      try {
        await side.deleteParent(slots[slot] as number)
        const replacement = nextId++
        await side.insertParent(replacement)
        slots[slot] = replacement
        run.deleted++
      } catch (error) {
        failed(error)
      }
    }
  }
  await Promise.all([
    ...Array.from({ length: RACE.inserters }, () => inserter()),
    ...Array.from({ length: RACE.deleters }, (_, own) => deleter(own)),
  ])
  run.orphans = await countOrphans(context.bench.database.db)
  return run
}

/** `SELECT parents`, `INSERT children`, `COMMIT`: a statement's verb and table, and whether it takes a lock. */
function summarize(query: string): string {
  const end = transactionEnd(query)
  if (end) return end
  const match = /^\s*(\w+)\b.*?\b(?:from|into|update)\s+(?:[`"]?\w+[`"]?\.)?[`"]?(\w+)/is.exec(query)
  const verb = match ? `${match[1]?.toUpperCase()} ${match[2]}` : (query.trim().split(/\s+/)[0]?.toUpperCase() ?? '')
  const locks = /\bfor (update|share|no key update|key share)\b|lock in share mode/i.test(query)
  return verb.startsWith('SELECT') ? `${verb} (${locks ? 'locking' : 'no lock'})` : verb
}

/** The statements one checked `connect` create sends, in order (the adapter's BEGIN has no query event). */
async function connectPath(prisma: CountedPrisma<ComparisonClient>, parentId: number): Promise<string> {
  prisma.reset()
  await prisma.prisma.child.create({ data: { parent: { connect: { id: parentId } } } })
  const queries = prisma.queries()
  return [...(queries.some((query) => transactionEnd(query)) ? ['BEGIN'] : []), ...queries.map(summarize)].join(' → ')
}

/** The statements one child insert through guard.db sends (outside a transaction). */
async function guardedInsertStatements(context: PartContext, relation: string): Promise<number> {
  const counter = countStatements(context.bench.database)
  const guard = await createGuard({ db: counter.database.db, relations: [relation] })
  try {
    counter.reset()
    await guard.db.insertInto('children').values({ parent_id: 1 }).execute()
    return counter.count()
  } finally {
    await guard.close()
  }
}

function describeRuns(runs: RaceRun[]): string {
  const total = (key: 'inserted' | 'refused' | 'deleted') => formatCount(runs.reduce((sum, run) => sum + run[key], 0))
  const errors = new Map<string, number>()
  for (const run of runs) for (const [label, count] of run.errors) errors.set(label, (errors.get(label) ?? 0) + count)
  const other = [...errors].map(([label, count]) => `${label} × ${formatCount(count)}`).join(', ')
  return (
    `orphans per run: ${runs.map((run) => formatCount(run.orphans)).join(', ')} ` +
    `(children inserted ${total('inserted')}, refused ${total('refused')}; parents deleted ${total('deleted')}` +
    `${other ? `; other errors ${other}` : ''})`
  )
}

/**
 * The race between child inserts and cascading parent deletes: Prisma Client's checked `connect` path against
 * refguard's guard.db (inline relation), the same number of runs each, alternating which goes first.
 */
export async function race(context: PartContext, settings: RaceSettings): Promise<PartResult> {
  const { bench } = context
  const relation = 'children(parent_id) -> parents(id) on delete cascade'
  const prisma = await openPrisma<ComparisonClient>(context.clientEntry, context.engine, bench.url)
  const runs: Record<'prisma' | 'refguard', RaceRun[]> = { prisma: [], refguard: [] }
  const prismaSide: RaceSide = {
    insertChild: (id) => prisma.prisma.child.create({ data: { parent: { connect: { id } } } }),
    deleteParent: (id) => prisma.prisma.parent.delete({ where: { id } }),
    insertParent: (id) => prisma.prisma.parent.create({ data: { id } }),
  }
  const runPrisma = async () => {
    await createParentsAndChildren(bench.database, RACE.parents, false)
    prisma.reset()
    runs.prisma.push(await raceOnce(context, prismaSide, settings.seconds))
  }
  const runRefguard = async () => {
    await createParentsAndChildren(bench.database, RACE.parents, false)
    const guard = await createGuard({ db: bench.database.db, relations: [relation] })
    try {
      const side: RaceSide = {
        insertChild: (id) => guard.db.insertInto('children').values({ parent_id: id }).execute(),
        deleteParent: (id) => guard.db.deleteFrom('parents').where('id', '=', id).execute(),
        insertParent: (id) => guard.db.insertInto('parents').values({ id }).execute(),
      }
      runs.refguard.push(await raceOnce(context, side, settings.seconds))
    } finally {
      await guard.close()
    }
  }
  let path: string
  let refguardStatements: number
  try {
    await createParentsAndChildren(bench.database, RACE.parents, false)
    path = await connectPath(prisma, 1)
    refguardStatements = await guardedInsertStatements(context, relation)
    for (let i = 0; i < settings.runs; i++) {
      const order = i % 2 === 0 ? [runPrisma, runRefguard] : [runRefguard, runPrisma]
      for (const runSide of order) await runSide()
    }
  } finally {
    await prisma.close()
  }
  return {
    rows: [
      {
        part: 'race',
        engine: context.label,
        case: `${RACE.inserters} inserters, ${RACE.deleters} cascading deleters, ${formatCount(RACE.parents)} parents, ${settings.seconds} s × ${settings.runs}`,
        prisma: describeRuns(runs.prisma),
        inline: describeRuns(runs.refguard),
        queued: '—',
        native: '—',
      },
    ],
    notes: [
      `${context.label}, race: one of Prisma Client's checked \`connect\` creates sent ${path}; ` +
        `one insert through guard.db sent ${refguardStatements} statement${refguardStatements === 1 ? '' : 's'}.`,
    ],
  }
}
