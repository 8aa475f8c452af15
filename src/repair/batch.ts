import { type Kysely, type RawBuilder, sql } from 'kysely'
import { compareSql } from '../audit/chunks.js'
import { childFromSql, orphanConditionSql } from '../audit/orphan-query.js'
import { columnSql, tableSql } from '../db/identifiers.js'
import type { TableInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import { type ArchiveSink, childSource } from './archive.js'
import type { RepairStep } from './plan.js'
import { type RunState, saveRunState } from './runs.js'

const CHILD = 'c'

/** What one batch needs: where, what, and how to record it. */
export interface BatchContext {
  db: Kysely<any>
  family: 'postgres' | 'mysql'
  relation: Relation
  child: TableInfo
  step: RepairStep
  stepIndex: number
  run: RunState
  archive: ArchiveSink
  batchSize: number
}

/** `(c.a, c.b) in ((1, 2), (3, 4))` or `c.a in (1, 3)`: the rows of one batch by primary key. */
function keyListSql(columns: string[], keys: unknown[][]): RawBuilder<unknown> {
  if (keys.length === 0) return sql`1 = 0`
  if (columns.length === 1) return sql`${columnSql(CHILD, columns[0] as string)} in (${sql.join(keys.map((key) => sql`${key[0]}`))})`
  const tuple = sql`(${sql.join(columns.map((column) => columnSql(CHILD, column)))})`
  return sql`${tuple} in (${sql.join(keys.map((key) => sql`(${sql.join(key.map((value) => sql`${value}`))})`))})`
}

/** The rows a step changes: orphans (minus sentinel rows) or the sentinel rows, each still without a parent. */
function targetSql(context: BatchContext): RawBuilder<unknown> {
  const { relation, step } = context
  const key = columnSql(CHILD, relation.child.columns[0] as string)
  if (step.kind === 'sentinel') return sql`${key} = ${step.value} and ${orphanConditionSql(relation)}`
  if (step.keep.length === 0) return orphanConditionSql(relation)
  return sql`${key} not in (${sql.join(step.keep.map((value) => sql`${value}`))}) and ${orphanConditionSql(relation)}`
}

function changeSql(context: BatchContext, where: RawBuilder<unknown>): RawBuilder<unknown> {
  const { child, relation, step, family } = context
  const table = sql`${tableSql({ schema: child.schema, table: child.name })}`
  if (step.kind === 'orphans' && step.strategy === 'delete') {
    return family === 'postgres'
      ? sql`delete from ${table} as ${sql.id(CHILD)} where ${where}`
      : sql`delete ${sql.id(CHILD)} from ${table} as ${sql.id(CHILD)} where ${where}`
  }
  const columns = step.kind === 'sentinel' ? [step.column as string] : relation.child.columns
  const value = step.strategy === 'set-default' ? sql`default` : sql`null`
  const assignments = sql.join(
    columns.map((column) => sql`${family === 'postgres' ? sql.id(column) : columnSql(CHILD, column)} = ${value}`),
  )
  return sql`update ${table} as ${sql.id(CHILD)} set ${assignments} where ${where}`
}

/** The columns a step writes (empty for deletes). */
export function changedColumns(step: RepairStep, relation: Relation): string[] {
  if (step.kind === 'sentinel') return [step.column as string]
  return step.strategy === 'delete' ? [] : relation.child.columns
}

/**
 * MySQL/MariaDB: locks the parent keys the candidates reference in share mode (InnoDB also locks the gaps,
 * so no parent with such a key can appear before commit), then keeps the candidates that are still orphans.
 */
async function stillOrphaned(
  trx: Kysely<any>,
  context: BatchContext,
  candidates: RawBuilder<unknown>,
  keys: unknown[][],
): Promise<unknown[][]> {
  const { relation } = context
  const parentKeys = sql.join(relation.child.columns.map((column) => columnSql(CHILD, column)))
  const parentColumns = sql.join(relation.parent.columns.map((column) => sql.id(column)))
  await sql`select 1 from ${tableSql(relation.parent)} where (${parentColumns}) in (select ${parentKeys} from ${childFromSql(relation)} where ${candidates}) lock in share mode`.execute(
    trx,
  )
  const pk = sql.join(context.child.primaryKey.map((column) => columnSql(CHILD, column)))
  const { rows } = await sql<
    Record<string, unknown>
  >`select ${pk} from ${childFromSql(relation)} where ${keyListSql(context.child.primaryKey, keys)} and ${targetSql(context)}`.execute(trx)
  return rows.map((row) => context.child.primaryKey.map((column) => row[column]))
}

/**
 * One batch in one short transaction: lock up to `batchSize` target rows after the cursor (in primary key
 * order), archive them, change them, and move the run's cursor, all committed together. Returns false when
 * the step has no rows left.
 */
export async function runBatch(context: BatchContext): Promise<boolean> {
  const { db, family, child, run } = context
  const primaryKey = child.primaryKey
  const pk = sql.join(primaryKey.map((column) => columnSql(CHILD, column)))
  return db.transaction().execute(async (trx) => {
    const progress = run.steps[context.stepIndex] as RunState['steps'][number]
    const { rows } = await sql<Record<string, unknown>>`select ${pk} from ${childFromSql(context.relation)}
      where ${progress.cursor ? compareSql(primaryKey, progress.cursor, '>', family) : sql`1 = 1`} and ${targetSql(context)}
      order by ${pk} limit ${sql.lit(context.batchSize)} for update`.execute(trx)
    if (rows.length === 0) return false
    const candidates = rows.map((row) => primaryKey.map((column) => row[column]))
    const keys = family === 'mysql' ? await stillOrphaned(trx, context, keyListSql(primaryKey, candidates), candidates) : candidates
    const batch = run.batches + 1
    const where = sql`${keyListSql(primaryKey, keys)} and ${targetSql(context)}`
    const archived = await context.archive.write(
      trx,
      {
        runId: run.id,
        batch,
        step: context.stepIndex,
        relation: context.relation.name,
        table: child,
        action: context.step.strategy === 'delete' && context.step.kind === 'orphans' ? 'delete' : 'update',
        changedColumns: changedColumns(context.step, context.relation),
      },
      childSource(child, where),
      family,
    )
    const result = await changeSql(context, where).execute(trx)
    const changed = Number(result.numAffectedRows ?? 0)
    if (changed !== archived)
      throw new Error(
        `batch ${batch} of relation "${context.relation.name}": archived ${archived} rows but changed ${changed}; rolled back`,
      )
    run.batches = batch
    progress.cursor = candidates[candidates.length - 1] as unknown[]
    progress.changed += changed
    progress.archived += archived
    progress.batches++
    await saveRunState(trx, run)
    context.archive.flush()
    return true
  })
}
