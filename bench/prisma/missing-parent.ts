import { type Kysely, sql } from 'kysely'
import { createGuard, ensureJobTables } from '../../src/index.js'
import { type ComparisonClient, openPrisma } from './client.js'
import { type ComparisonRow, errorLabel, type PartResult } from './comparison-row.js'
import type { PartContext } from './part-context.js'
import { countOrphans, createParentsAndChildren } from './tables.js'

/** A parent id no row has. */
const MISSING = 999_999

/** One way of writing a child that references MISSING. */
interface MissingParentCase {
  label: string
  prisma(client: ComparisonClient): Promise<unknown>
  /** The same write through Kysely: guard.db for refguard, the constrained tables for native; absent when Kysely has no such write. */
  kysely?: (db: Kysely<any>) => Promise<unknown>
}

/** Child 1 (of parent 1) exists when the cases start; they run in this order on one set of tables. */
const CASES: MissingParentCase[] = [
  {
    label: 'create a child with a scalar parent id',
    prisma: (client) => client.child.create({ data: { parentId: MISSING } }),
    kysely: (db) => db.insertInto('children').values({ parent_id: MISSING }).execute(),
  },
  {
    label: 'create a child with a nested connect',
    prisma: (client) => client.child.create({ data: { parent: { connect: { id: MISSING } } } }),
  },
  {
    label: 'create three children, one with a missing parent',
    prisma: (client) => client.child.createMany({ data: [{ parentId: 1 }, { parentId: MISSING }, { parentId: 1 }] }),
    kysely: (db) =>
      db
        .insertInto('children')
        .values([{ parent_id: 1 }, { parent_id: MISSING }, { parent_id: 1 }])
        .execute(),
  },
  {
    label: "update a child's parent id",
    prisma: (client) => client.child.update({ where: { id: 1 }, data: { parentId: MISSING } }),
    kysely: (db) => db.updateTable('children').set({ parent_id: MISSING }).where('id', '=', 1).execute(),
  },
  {
    label: 'insert with raw SQL',
    prisma: (client) => client.$executeRaw`insert into children (parent_id) values (${MISSING})`,
    kysely: (db) => sql`insert into children (parent_id) values (${MISSING})`.execute(db),
  },
]

/** Runs `write` and says whether it was refused and how many orphans it left. */
async function outcome(db: Kysely<any>, write: () => Promise<unknown>): Promise<string> {
  const before = await countOrphans(db)
  let failure: { error: unknown } | undefined
  try {
    await write()
  } catch (error) {
    failure = { error }
  }
  const written = (await countOrphans(db)) - before
  const orphans = `${written} orphan${written === 1 ? '' : 's'} written`
  if (failure) return `refused: ${errorLabel(failure.error)}${written > 0 ? `, yet ${orphans}` : ''}`
  return written > 0 ? `accepted: ${orphans}` : 'accepted, no orphan written'
}

/** Fresh parents/children with parent 1 and its child 1. */
async function reset(context: PartContext, foreignKey: boolean): Promise<void> {
  await createParentsAndChildren(context.bench.database, 1, foreignKey)
  await sql`insert into children (parent_id) values (1)`.execute(context.bench.database.db)
}

/** Every case through Kysely on `db` (a guard's or the plain one), in order; '—' where Kysely has no such write. */
async function kyselySide(db: Kysely<any>, plainDb: Kysely<any>): Promise<string[]> {
  const cells: string[] = []
  for (const { kysely } of CASES) cells.push(kysely ? await outcome(plainDb, () => kysely(db)) : '—')
  return cells
}

/**
 * Writes children that reference a parent no row has, through Prisma Client (relationMode = "prisma"),
 * refguard's guard.db (inline and queued relations) and plain Kysely on tables with a real FOREIGN KEY.
 */
export async function missingParent(context: PartContext): Promise<PartResult> {
  const { bench } = context
  const { db } = bench.database
  const relation = 'children(parent_id) -> parents(id) on delete cascade'

  await reset(context, false)
  const prisma = await openPrisma<ComparisonClient>(context.clientEntry, context.engine, bench.url)
  const prismaCells: string[] = []
  try {
    for (const testCase of CASES) prismaCells.push(await outcome(db, () => testCase.prisma(prisma.prisma)))
  } finally {
    await prisma.close()
  }
  const audit = await createGuard({ db, relations: [relation] })
  const report = await audit.check()
  await audit.close()
  const found = report.relations[0]?.orphans ?? 0
  const left = await countOrphans(db)

  await reset(context, false)
  const inline = await createGuard({ db, relations: [relation] })
  const inlineCells = await kyselySide(inline.db, db)
  await inline.close()

  await reset(context, false)
  await ensureJobTables(db, bench.database.dialect.family)
  const queued = await createGuard({ db, relations: [`${relation} mode queued`] })
  const queuedCells = await kyselySide(queued.db, db)
  await queued.close()

  await reset(context, true)
  const nativeCells = await kyselySide(db, db)

  const rows: ComparisonRow[] = CASES.map((testCase, i) => ({
    part: 'missing parent',
    engine: context.label,
    case: testCase.label,
    prisma: prismaCells[i] as string,
    inline: inlineCells[i] as string,
    queued: queuedCells[i] as string,
    native: nativeCells[i] as string,
  }))
  return {
    rows,
    notes: [
      `${context.label}, missing parent: afterwards \`refguard check\` (relation \`${relation}\`) on the tables Prisma Client wrote to counted ${found} ` +
        `orphaned children (${left} by a hand-written NOT EXISTS count), so it fails a CI run (exit code 1) until they are repaired.`,
    ],
  }
}
