import { type Kysely, sql } from 'kysely'
import pc from 'picocolors'
import { createGuard, type Guard } from '../enforce/guard.js'
import { queueStatus } from '../queue/status.js'
import { ensureJobTables } from '../queue/tables.js'
import { startWorker } from '../queue/worker.js'
import { countOf, refusal, wrap } from './wording.js'

const INDENT = '   '

/** The recipes cascade of seed 000, one relation per child table; `mode` decides where the cascade runs. */
function kitchenRelations(mode: 'inline' | 'queued' | 'scheduled'): string[] {
  return ['ingredients', 'steps'].map((child) => `kitchen.${child}(recipe_id) -> kitchen.recipes(id) on delete cascade mode ${mode}`)
}

/** Ingredient and step rows whose recipe id is `id`. */
async function childrenOfId(db: Kysely<any>, id: number): Promise<string> {
  const { rows } = await sql<{ ingredients: unknown; steps: unknown }>`select
      (select count(*) from kitchen.ingredients where recipe_id = ${id}) as ingredients,
      (select count(*) from kitchen.steps where recipe_id = ${id}) as steps`.execute(db)
  return `${countOf(Number(rows[0]?.ingredients), 'ingredient')} and ${countOf(Number(rows[0]?.steps), 'step')}`
}

async function recipeId(db: Kysely<any>, name: string): Promise<number> {
  const { rows } = await sql<{ id: unknown }>`select id from kitchen.recipes where name = ${name}`.execute(db)
  return Number(rows[0]?.id)
}

/** One mode of the tour: the config line, then what each step showed. */
async function mode(title: string, guard: Guard, body: (guard: Guard) => Promise<string[]>): Promise<string> {
  try {
    const lines = await body(guard)
    return [`${INDENT}${pc.bold(title)}`, ...lines.map((line) => wrap(line, `${INDENT}  `))].join('\n')
  } finally {
    await guard.close()
  }
}

/** Inline: the cascade runs inside the caller's transaction. */
function inline(db: Kysely<any>): Promise<string> {
  return createGuard({ db, relations: kitchenRelations('inline') }).then((guard) =>
    mode('inline (mode inline, the default)', guard, async () => {
      const id = await recipeId(db, 'Pancakes')
      const before = await childrenOfId(db, id)
      await guard.db.deleteFrom('kitchen.recipes').where('id', '=', id).execute()
      return [
        `delete Pancakes (${before}): ${pc.green('ok')}; left at once: ${await childrenOfId(db, id)}. The delete waited for its cascade.`,
      ]
    }),
  )
}

/** Queued: the delete commits a job with it; a worker runs the cascade afterwards, in short batches. */
async function queued(db: Kysely<any>): Promise<string> {
  await ensureJobTables(db, 'postgres')
  const guard = await createGuard({ db, relations: kitchenRelations('queued') })
  return mode('queued (mode queued: a transactional outbox and a worker)', guard, async () => {
    const id = await recipeId(db, 'Tomato soup')
    const before = await childrenOfId(db, id)
    await guard.db.deleteFrom('kitchen.recipes').where('id', '=', id).execute()
    const status = await queueStatus(guard)
    const pending = await childrenOfId(db, id)
    const insert = await refusal(() =>
      guard.db.insertInto('kitchen.steps').values({ recipe_id: id, position: 9, instruction: 'Serve.' }).execute(),
    )
    const worker = await startWorker({ guard, once: true, pollMs: 10 })
    const summary = await worker.stopped
    return [
      `delete Tomato soup (${before}): ${pc.green('ok')}, and ${countOf(status.totals.pending, 'job')} committed with it in refguard_jobs.`,
      `the pending window: ${pending} still there; a new step for the soup is refused at once: ${insert}`,
      `startWorker({ guard, once: true }): ${countOf(summary.done, 'job')} done, ${countOf(summary.rows, 'row')} deleted; left: ${await childrenOfId(db, id)}.`,
    ]
  })
}

/** Scheduled: the delete marks the recipe (soft delete); the sweeper runs the cascade later, then deletes the recipe. */
async function scheduled(db: Kysely<any>): Promise<string> {
  await sql`alter table kitchen.recipes add column deleted_at timestamptz`.execute(db)
  const softDelete = { 'kitchen.recipes': { column: 'deleted_at' } }
  const guard = await createGuard({ db, relations: kitchenRelations('scheduled'), softDelete })
  return mode("scheduled (softDelete: { 'kitchen.recipes': { column: 'deleted_at' } }, and a sweeper)", guard, async () => {
    const id = await recipeId(db, 'Guacamole')
    const before = await childrenOfId(db, id)
    await guard.db.deleteFrom('kitchen.recipes').where('id', '=', id).execute()
    const { rows } = await sql<{ marked: unknown }>`select count(*) as marked from kitchen.recipes where deleted_at is not null`.execute(db)
    const pending = await childrenOfId(db, id)
    const insert = await refusal(() =>
      guard.db.insertInto('kitchen.steps').values({ recipe_id: id, position: 9, instruction: 'Serve.' }).execute(),
    )
    const report = await guard.sweep({ batchSize: 5 })
    const rowsSwept = report.relations.reduce((sum, relation) => sum + relation.rows, 0)
    const batches = report.relations.reduce((sum, relation) => sum + relation.batches, 0)
    return [
      `delete Guacamole (${before}): ${pc.green('ok')}; the row stays, marked (${countOf(Number(rows[0]?.marked), 'recipe')} with deleted_at set), and its children wait: ${pending}.`,
      `a soft-deleted recipe is absent for its children: a new step for it is refused at once: ${insert}`,
      `guard.sweep() (or refguard sweep --once, or --cron "*/5 * * * *"): ${countOf(rowsSwept, 'row')} deleted in ${countOf(batches, 'batch', 'batches')}, then ${countOf(report.tables[0]?.deleted ?? 0, 'recipe')} for good; left: ${await childrenOfId(db, id)}.`,
    ]
  })
}

/** The recipes of seed 000 deleted three ways: inline, queued and scheduled. */
export async function modesSection(db: Kysely<any>): Promise<string> {
  return [
    pc.bold(pc.cyan('6. kitchen, three ways: where the recipes cascade runs')),
    wrap(
      'Seed 000 runs cascades without foreign keys inline, from a queue, or from a scheduled job over soft-deleted rows, and its queue ' +
        'recipe loses the cleanup if the app crashes between the delete and the message. refguard commits the job with the delete.',
      INDENT,
    ),
    await inline(db),
    await queued(db),
    await scheduled(db),
  ].join('\n\n')
}
