import { type Kysely, sql } from 'kysely'
import { createGuard, ensureJobTables, type Guard, startWorker } from '../../src/index.js'
import { type ActionClient, openPrisma } from './client.js'
import { type ComparisonRow, errorLabel, type PartResult } from './comparison-row.js'
import type { PartContext } from './part-context.js'
import { type Action, ACTIONS, actionSchema } from './schema.js'
import { generateClient } from './setup.js'
import { countRows, createActionTables } from './tables.js'

type OutcomeKind = 'refused' | 'deleted' | 'nulled' | 'defaulted' | 'orphaned' | 'other'

/** What deleting parent 1 did to its child. */
interface Outcome {
  kind: OutcomeKind
  text: string
}

/** What each action must do when parent 1, which has a child, is deleted. */
const EXPECTED: Record<Action['sql'], OutcomeKind> = {
  restrict: 'refused',
  'no action': 'refused',
  cascade: 'deleted',
  'set null': 'nulled',
  'set default': 'defaulted',
}

/** Reads parent 1 and child 1 after a delete of parent 1 that failed with `failure` (or succeeded). */
async function observe(db: Kysely<any>, failure?: { error: unknown }): Promise<Outcome> {
  const parent = await countRows(db, sql`action_parents where id = 1`)
  const { rows } = await sql<{ parent_id: unknown }>`select parent_id from action_children where id = 1`.execute(db)
  const key = rows[0] ? rows[0].parent_id : undefined
  if (failure) {
    return parent === 1 && Number(key) === 1
      ? { kind: 'refused', text: `delete refused (${errorLabel(failure.error)})` }
      : { kind: 'other', text: `delete failed (${errorLabel(failure.error)}) and changed the rows` }
  }
  if (key === undefined) return { kind: 'deleted', text: 'child deleted' }
  if (key === null) return { kind: 'nulled', text: 'parent_id set to NULL' }
  if (Number(key) === 0) return { kind: 'defaulted', text: 'parent_id set to its default 0' }
  if (parent === 0) return { kind: 'orphaned', text: 'delete accepted, child left orphaned' }
  return { kind: 'other', text: 'delete reported success, parent still there' }
}

/** Deletes parent 1 with `remove` and observes the child. */
async function deleteAndObserve(db: Kysely<any>, remove: () => Promise<unknown>): Promise<Outcome> {
  try {
    await remove()
  } catch (error) {
    return observe(db, { error })
  }
  return observe(db)
}

function judge(action: Action, outcome: Outcome): string {
  return `${outcome.kind === EXPECTED[action.sql] ? 'yes' : 'no'}: ${outcome.text}`
}

/**
 * Runs every ON DELETE action (RESTRICT, NO ACTION, CASCADE, SET NULL, SET DEFAULT) on a parent with one child:
 * Prisma Client with the action in its schema (each schema generated on its own, as Prisma validates it),
 * refguard inline and queued (a worker drains the queue), and a native FOREIGN KEY.
 */
export async function actions(context: PartContext): Promise<PartResult> {
  const { bench, engine } = context
  const { db } = bench.database
  const relation = (action: Action, mode: string) => `action_children(parent_id) -> action_parents(id) on delete ${action.sql} mode ${mode}`
  const rows: ComparisonRow[] = []
  const notes = new Set<string>()
  await ensureJobTables(db, bench.database.dialect.family)
  for (const action of ACTIONS) {
    const generated = generateClient(`${engine}-action-${action.prisma}`, actionSchema(engine, action))
    let prismaCell: string
    if (generated.ok) {
      await createActionTables(bench.database)
      const prisma = await openPrisma<ActionClient>(generated.entry, engine, bench.url)
      try {
        prismaCell = judge(action, await deleteAndObserve(db, () => prisma.prisma.actionParent.delete({ where: { id: 1 } })))
      } finally {
        await prisma.close()
      }
    } else {
      prismaCell = `no: prisma generate refuses the schema (${generated.error.split(':')[0]})`
      notes.add(`${context.label}, Prisma with onDelete: ${action.prisma}: prisma generate says ${generated.error}`)
    }

    const refguardCell = async (mode: 'inline' | 'queued') => {
      await createActionTables(bench.database)
      let guard: Guard
      try {
        guard = await createGuard({ db, relations: [relation(action, mode)] })
      } catch (error) {
        // The reason, without the generic fix line createGuard appends.
        const reason = (error as Error).message.replace(/\s+/g, ' ').split(';')[0]
        notes.add(`refguard, ON DELETE ${action.sql.toUpperCase()} mode ${mode}: createGuard says ${reason}`)
        const refusal = `createGuard refuses it (${errorLabel(error)})`
        return mode === 'queued' ? `not queueable: ${refusal}; inline checks it` : `no: ${refusal}`
      }
      try {
        const outcome = await deleteAndObserve(db, async () => {
          await guard.db.deleteFrom('action_parents').where('id', '=', 1).execute()
          if (mode === 'queued') await (await startWorker({ guard, once: true, pollMs: 10 })).stopped
        })
        return judge(action, outcome)
      } finally {
        await guard.close()
      }
    }
    const inline = await refguardCell('inline')
    const queued = await refguardCell('queued')

    let native: string
    try {
      await createActionTables(bench.database, action.sql)
      native = judge(action, await deleteAndObserve(db, () => sql`delete from action_parents where id = 1`.execute(db)))
    } catch (error) {
      native = `no: CREATE TABLE refuses it (${errorLabel(error)})`
      notes.add(`${context.label}, native ON DELETE ${action.sql.toUpperCase()}: ${(error as Error).message}`)
    }
    rows.push({
      part: 'actions',
      engine: context.label,
      case: `ON DELETE ${action.sql.toUpperCase()}`,
      prisma: prismaCell,
      inline,
      queued,
      native,
    })
  }
  return { rows, notes: [...notes] }
}
