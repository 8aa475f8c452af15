import { type Kysely, type RawBuilder, sql } from 'kysely'
import { compareSql } from '../audit/chunks.js'
import { childFromSql, orphanConditionSql } from '../audit/orphan-query.js'
import { columnSql, tableSql } from '../db/identifiers.js'
import type { TableInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import { type ArchiveBatch, type ArchiveSink, childSource } from './archive.js'
import type { RepairStep } from './plan.js'
import { batchProgressSql, type RunState, saveRunState } from './runs.js'

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
  /**
   * PostgreSQL servers: commit batches without waiting for their WAL flush (`synchronous_commit = off`, for the
   * batch only). A server crash can lose the last batches, but each one's change, archive rows and progress are
   * lost together, so a resumed run does them again; the run's closing state is written with a normal commit,
   * which flushes every batch before it.
   */
  asyncCommit: boolean
  /** Takes, archives and changes one batch's rows in place of the built-in ways (a relation across databases: crossdb/repair-batch.ts). */
  change?: (trx: Kysely<any>, context: BatchContext, scope: BatchScope, batch: number) => Promise<BatchOutcome>
}

/** `(c.a, c.b) in ((1, 2), (3, 4))` or `c.a in (1, 3)`: the rows of one batch by primary key. */
export function keyListSql(columns: string[], keys: unknown[][]): RawBuilder<unknown> {
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

/** The DELETE or UPDATE a step makes to the child rows (alias `c`) matching `where`. */
export function changeSql(context: BatchContext, where: RawBuilder<unknown>): RawBuilder<unknown> {
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

/** Which rows a batch takes: the next after the step's cursor in primary key order, or any still holding one of `keys`. */
export type BatchScope = { kind: 'primary-key' } | { kind: 'keys'; keys: unknown[]; rows?: number }

/** The rows of a scope still targets: `c.k in (keys) and ...`, or after the cursor. */
function scopeSql(context: BatchContext, scope: BatchScope): RawBuilder<unknown> {
  const { child, family, relation } = context
  if (scope.kind === 'keys') {
    const column = context.step.kind === 'sentinel' ? (context.step.column as string) : (relation.child.columns[0] as string)
    // PostgreSQL takes the keys as one array parameter: one value to bind and plan instead of a thousand.
    const keys = family === 'postgres' ? sql`= any(${scope.keys})` : sql`in (${sql.join(scope.keys.map((key) => sql`${key}`))})`
    return sql`${columnSql(CHILD, column)} ${keys} and ${targetSql(context)}`
  }
  const progress = context.run.steps[context.stepIndex] as RunState['steps'][number]
  const after = progress.cursor ? compareSql(child.primaryKey, progress.cursor, '>', family) : sql`1 = 1`
  return sql`${after} and ${targetSql(context)}`
}

/** Selects `columns` of up to `batchSize` rows of the scope (in primary key order when walking it), optionally locking them. */
function candidatesSql(
  context: BatchContext,
  scope: BatchScope,
  columns: RawBuilder<unknown>,
  lock: boolean,
): RawBuilder<Record<string, unknown>> {
  const pk = sql.join(context.child.primaryKey.map((column) => columnSql(CHILD, column)))
  const order = scope.kind === 'primary-key' ? sql` order by ${pk}` : sql``
  return sql`select ${columns} from ${childFromSql(context.relation)} where ${scopeSql(context, scope)}${order} limit ${sql.lit(context.batchSize)}${lock ? sql` for update` : sql``}`
}

/** Counts a committed batch in the run's state: its number, the step's rows and batches, and a primary-key walk's cursor. */
function countBatch(
  run: RunState,
  stepIndex: number,
  batch: number,
  rows: { changed: number; archived: number },
  cursor?: unknown[],
): void {
  const progress = run.steps[stepIndex] as RunState['steps'][number]
  run.batches = batch
  if (cursor) progress.cursor = cursor
  progress.changed += rows.changed
  progress.archived += rows.archived
  progress.batches++
}

/**
 * PostgreSQL, deleting a key group into refguard_archive: one statement with no transaction around it, which deletes
 * the rows, archives them and records the run's progress, all or nothing (on a server without waiting for the WAL
 * flush: see `asyncCommit`). A group counted at most `batchSize` rows is deleted by its keys; a bigger one (a key
 * held by many rows) `batchSize` rows at a time, by `ctid`. Returns whether the scope may hold more rows.
 */
async function deleteKeyGroup(context: BatchContext, scope: Extract<BatchScope, { kind: 'keys' }>): Promise<boolean> {
  const { run, stepIndex } = context
  const deleteArchived = context.archive.deleteArchivedSql as NonNullable<ArchiveSink['deleteArchivedSql']>
  const whole = scope.rows !== undefined && scope.rows <= context.batchSize
  const picked = candidatesSql(context, scope, sql`${sql.id(CHILD)}.ctid`, false)
  const where = whole ? scopeSql(context, scope) : sql`${sql.id(CHILD)}.ctid = any(array(${picked})) and ${targetSql(context)}`
  const batch = run.batches + 1
  // The run as this batch leaves it; the rows it changed are added in SQL, where only the statement knows them.
  const after = structuredClone(run)
  countBatch(after, stepIndex, batch, { changed: 0, archived: 0 })
  const asyncCommit = context.asyncCommit ? sql`, set_config('synchronous_commit', 'off', true)` : sql``
  const { rows } = await sql<{ deleted: unknown }>`with ${deleteArchived(archiveBatch(context, batch), where)},
      counted as (select count(*) as deleted from changed),
      saved as (${batchProgressSql(after, stepIndex, sql`(select deleted from counted)`)})
    select deleted${asyncCommit} from counted`.execute(context.db)
  const deleted = Number(rows[0]?.deleted ?? 0)
  if (deleted === 0) return false
  countBatch(run, stepIndex, batch, { changed: deleted, archived: deleted })
  return !whole && deleted === context.batchSize
}

/** What one batch did before its progress is recorded. */
export interface BatchOutcome {
  /** Rows the batch took. */
  taken: number
  /** Whether the scope may still hold rows (the batch was full). */
  more: boolean
  changed: number
  archived: number
  /** The primary key of the last row taken, for a primary-key walk. */
  last?: unknown[]
}

/** Which run, step and batch the archived rows belong to. */
export function archiveBatch(context: BatchContext, batch: number): ArchiveBatch {
  const { run, step, relation, child } = context
  return {
    runId: run.id,
    batch,
    step: context.stepIndex,
    relation: relation.name,
    table: child,
    action: step.strategy === 'delete' && step.kind === 'orphans' ? 'delete' : 'update',
    changedColumns: changedColumns(step, relation),
  }
}

/** Locks the batch's rows, archives them through the sink, then changes them: any engine, any archive, any step. */
async function lockArchiveChange(trx: Kysely<any>, context: BatchContext, scope: BatchScope, batch: number): Promise<BatchOutcome> {
  const { family, child } = context
  const primaryKey = child.primaryKey
  const pk = sql.join(primaryKey.map((column) => columnSql(CHILD, column)))
  const { rows } = await candidatesSql(context, scope, pk, true).execute(trx)
  if (rows.length === 0) return { taken: 0, more: false, changed: 0, archived: 0 }
  const candidates = rows.map((row) => primaryKey.map((column) => row[column]))
  const keys = family === 'mysql' ? await stillOrphaned(trx, context, keyListSql(primaryKey, candidates), candidates) : candidates
  const where = sql`${keyListSql(primaryKey, keys)} and ${targetSql(context)}`
  const archived = await context.archive.write(trx, archiveBatch(context, batch), childSource(child, where), family)
  const result = await changeSql(context, where).execute(trx)
  return {
    taken: rows.length,
    more: rows.length === context.batchSize,
    changed: Number(result.numAffectedRows ?? 0),
    archived,
    last: candidates[candidates.length - 1] as unknown[],
  }
}

/**
 * One batch in one short transaction: takes up to `batchSize` target rows of the scope, archives them, changes
 * them, and records the run's progress, all committed together. Returns whether the scope may hold more rows. On
 * PostgreSQL, deleting orphans by key into refguard_archive is one statement (`deleteKeyGroup`); everything else
 * locks, archives and changes in three.
 */
export async function runBatch(context: BatchContext, scope: BatchScope): Promise<boolean> {
  const { db, family, run, step, archive } = context
  if (
    !context.change &&
    family === 'postgres' &&
    scope.kind === 'keys' &&
    step.kind === 'orphans' &&
    step.strategy === 'delete' &&
    archive.deleteArchivedSql
  )
    return deleteKeyGroup(context, scope)
  return db.transaction().execute(async (trx) => {
    if (context.asyncCommit) await sql`set local synchronous_commit = off`.execute(trx)
    const batch = run.batches + 1
    const outcome = context.change ? await context.change(trx, context, scope, batch) : await lockArchiveChange(trx, context, scope, batch)
    if (outcome.taken === 0) return false
    if (outcome.changed !== outcome.archived)
      throw new Error(
        `batch ${batch} of relation "${context.relation.name}": archived ${outcome.archived} rows but changed ${outcome.changed}; rolled back`,
      )
    countBatch(run, context.stepIndex, batch, outcome, scope.kind === 'primary-key' ? outcome.last : undefined)
    await saveRunState(trx, run)
    context.archive.flush()
    return outcome.more
  })
}
