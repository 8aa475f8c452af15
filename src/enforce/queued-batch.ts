import { sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'
import { cascadeDelete, cascadeUpdate, setChildren } from './actions.js'
import { absentKeys, childFilter, columnRefs, keyMatch, notSoftDeleted, presentSql } from './checks.js'
import { type EnforcementContext, newStatementState } from './context.js'
import { enforceWrite } from './enforce-statement.js'
import { usesTransactionSnapshot } from './isolation.js'
import { UnguardedWriteError } from './errors.js'
import { distinctKeys, type KeyTuple, keyId } from './keys.js'
import { andAll, keyInList, type Sql } from './sql-parts.js'
import type { WriteSpec } from './write-spec.js'

/** What one batch of a queued job did. */
export interface QueuedBatch {
  /** Child rows deleted or changed. */
  rows: number
  /** Whether no child of a still-absent parent key is left: the job is complete. */
  finished: boolean
}

/** A row a batch locked: its identity and its key for the relation. */
interface LockedRow {
  identity: unknown[]
  key: KeyTuple
}

/** The columns that identify a child row: its primary key, or PostgreSQL's ctid (stable while the batch holds the row lock). */
function identityOf(context: EnforcementContext, relation: Relation): string[] {
  const identity = context.facts.of(relation.child)?.identity ?? []
  if (identity.length > 0) return identity
  if (context.runner.family === 'postgres') return ['ctid']
  throw new UnguardedWriteError(`relation "${relation.name}" is queued, but ${relation.child.table} has no primary key to batch by`)
}

/**
 * `identity in (rows)` for the rows of a batch, over the alias the generated statements use; on PostgreSQL a
 * one-column identity goes as one array parameter (planning a thousand parameters costs more than the delete).
 */
function onlyRows(context: EnforcementContext, relation: Relation, identity: string[], rows: LockedRow[]): Sql {
  const alias = relation.child.table
  const types =
    context.runner.family === 'postgres'
      ? identity.map((column) => (column === 'ctid' ? 'tid' : context.facts.columnType(relation.child, column)))
      : undefined
  const [column] = identity
  const [type] = types ?? []
  if (identity.length === 1 && column && type) {
    return sql`${sql.id(alias, column)} = any(cast(${rows.map((row) => row.identity[0])} as ${sql.raw(`${type}[]`)}))`
  }
  return keyInList(
    identity.map((column) => sql.id(alias, column)),
    rows.map((row) => row.identity),
    types,
  )
}

/**
 * Children of `keys` whose parent key no present row holds: what a job still has to act on. A cascaded delete of a
 * soft-deleted child table only marks its rows, so marked children count as done.
 */
function pendingChildren(context: EnforcementContext, relation: Relation, write: 'update' | 'delete', keys: KeyTuple[]): Sql {
  const child = columnRefs('c', relation.child.columns)
  const match = andAll(relation.parent.columns.map((column, i) => sql`${sql.id('p', column)} = ${child[i]}`))
  const gone = sql`not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id('p')} where ${match} and ${presentSql(context, relation, 'p')})`
  const soft = write === 'delete' && relation.onDelete === 'cascade' ? context.softDelete(relation.child) : undefined
  const unmarked = soft ? [notSoftDeleted(soft, 'c')] : []
  return andAll([childFilter(relation, 'c'), keyMatch(context, relation, 'child', child, keys), gone, ...unmarked])
}

/** The write that applies the relation's action to the batch's rows, as the inline action would build it. */
function actionSpec(
  context: EnforcementContext,
  relation: Relation,
  write: 'update' | 'delete',
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  only: Sql,
): WriteSpec {
  const action = write === 'delete' ? relation.onDelete : relation.onUpdate
  const keys = changes.map((change) => change.before)
  if (action === 'cascade')
    return write === 'delete' ? cascadeDelete(context, relation, keys, only) : cascadeUpdate(context, relation, changes, only)
  if (action === 'set null' || action === 'set default')
    return setChildren(context, relation, keys, action === 'set null' ? 'null' : 'default', write, only)
  throw new UnguardedWriteError(
    `relation "${relation.name}" has ON ${write.toUpperCase()} ${action.toUpperCase()}, which a worker cannot apply`,
  )
}

/**
 * One batch of a queued job, inside the caller's transaction: locks up to `limit` children of the job's
 * keys whose parent is still gone (FOR UPDATE), reads the parent table again for exactly those keys (a key
 * held by a parent again, re-inserted or re-keyed to it, keeps its children: see the README), and applies
 * the relation's action to the rest through the engine, so the grandchildren get their own relations'
 * actions (inline ones at once, queued ones as new jobs in this same transaction).
 */
export async function runQueuedBatch(
  context: EnforcementContext,
  relation: Relation,
  write: 'update' | 'delete',
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  limit: number,
): Promise<QueuedBatch> {
  const { runner } = context
  const identity = identityOf(context, relation)
  const pending = pendingChildren(
    context,
    relation,
    write,
    changes.map((change) => change.before),
  )
  if (await deletesLeafRows(context, relation, write)) {
    const result = await runner.run(
      sql`delete from ${tableSql(relation.child)} as ${sql.id('d')} where ${sql.id('d', 'ctid')} = any(array(
        select ${sql.id('c', 'ctid')} from ${tableSql(relation.child)} as ${sql.id('c')} where ${pending} limit ${sql.lit(limit)}))`,
    )
    const deleted = Number(result.numAffectedRows ?? 0)
    return { rows: deleted, finished: deleted < limit && !(await anyLeft(context, relation, pending)) }
  }
  const selections = [
    ...identity.map((column, i) => sql`${sql.id('c', column)} as ${sql.id(`i${i}`)}`),
    ...relation.child.columns.map((column, i) => sql`${sql.id('c', column)} as ${sql.id(`k${i}`)}`),
  ]
  const { rows } = await runner.run<Record<string, unknown>>(
    sql`select ${sql.join(selections)} from ${tableSql(relation.child)} as ${sql.id('c')} where ${pending} limit ${sql.lit(limit)} for update`,
  )
  const locked: LockedRow[] = rows.map((row) => ({
    identity: identity.map((_, i) => row[`i${i}`]),
    key: relation.child.columns.map((_, i) => row[`k${i}`]),
  }))
  // A fresh read (READ COMMITTED; a locking read on MySQL) sees every parent committed before the rows were locked.
  const absent = new Set((await absentKeys(context, relation, distinctKeys(locked.map((row) => row.key)))).map(keyId))
  const targets = locked.filter((row) => absent.has(keyId(row.key)))
  if (targets.length > 0) {
    const state = newStatementState()
    // A queued ON UPDATE CASCADE moves children to the key their parent took; if that key has moved on since, a later job
    // of this relation (jobs of a relation with key changes run in order) moves them on: the new key is not checked here.
    if (write === 'update' && relation.onUpdate === 'cascade') state.trusted.add(relation.name)
    const targetKeys = new Set(targets.map((row) => keyId(row.key)))
    const spec = actionSpec(
      context,
      relation,
      write,
      changes.filter((change) => targetKeys.has(keyId(change.before))),
      onlyRows(context, relation, identity, targets),
    )
    await enforceWrite(context, spec, state)
  }
  if (locked.length >= limit) return { rows: targets.length, finished: false }
  return { rows: targets.length, finished: !(await anyLeft(context, relation, pending)) }
}

/** Whether a child still waits for the job; a batch with LIMIT may come back short when a concurrent one changed rows. */
async function anyLeft(context: EnforcementContext, relation: Relation, pending: Sql): Promise<boolean> {
  const left = await context.runner.run(
    sql`select 1 as ${sql.id('left')} from ${tableSql(relation.child)} as ${sql.id('c')} where ${pending} limit 1`,
  )
  return left.rows.length > 0
}

/**
 * A cascaded delete of rows that nothing else refers to, on PostgreSQL: then one statement deletes the batch, picking
 * its rows by ctid, with no row read into the worker and no engine pass. A row changed by a concurrent transaction
 * between the pick and the delete has a new ctid and is left for the next batch. The child table must be no parent
 * itself, not soft-deleted, and the transaction not under snapshot isolation (whose crosscheck tracks deleted rows).
 */
async function deletesLeafRows(context: EnforcementContext, relation: Relation, write: 'update' | 'delete'): Promise<boolean> {
  return (
    context.runner.family === 'postgres' &&
    write === 'delete' &&
    relation.onDelete === 'cascade' &&
    context.graph.childrenOf(relation.child).length === 0 &&
    !context.softDelete(relation.child) &&
    !(await usesTransactionSnapshot(context))
  )
}
