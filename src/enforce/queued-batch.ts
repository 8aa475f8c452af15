import { sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import { prepared } from '../db/prepared.js'
import type { Relation } from '../model/relation.js'
import { absentKeys, childFilter, childOfAbsentKeys, columnRefs, keyMatch, notSoftDeleted, presentSql } from './checks.js'
import { type EnforcementContext, newStatementState } from './context.js'
import { enforceWrite } from './enforce-statement.js'
import { identityOf, onlyRows } from './batch-rows.js'
import { usesTransactionSnapshot } from './isolation.js'
import { workerActionSpec } from './queued-actions.js'
import { distinctKeys, type KeyTuple, keyId } from './keys.js'
import { andAll, type Sql } from './sql-parts.js'
import type { KeyWindow } from './key-window.js'

/** What one batch of a queued job did. */
export interface QueuedBatch {
  /** Child rows deleted or changed. */
  rows: number
  /** Whether no child of a still-absent parent key is left: the job is complete. */
  finished: boolean
}

/**
 * A job's bookkeeping, folded into a leaf batch's one statement (see `deleteLeafRows`) so that the batch needs no
 * transaction of its own: the statement changes rows only while `owner` selects the job's row (locking it), and
 * records them with `record`.
 */
export interface BatchStamp {
  /** Selects (FOR UPDATE) the job's row while the job is still this worker's. */
  owner: Sql
  /** Updates the job's row (its id in `owned`), adding `rows` (a scalar subquery) to its progress. */
  record: (rows: Sql) => Sql
}

/** A leaf batch's stamp found that its job is no longer this worker's: it changed nothing. */
export class StampLostError extends Error {
  constructor() {
    super('the job was taken over by another worker; the batch changed nothing')
  }
}

/** A row a batch locked: its identity and its key for the relation. */
interface LockedRow {
  identity: unknown[]
  key: KeyTuple
}

/**
 * Children of `keys` whose parent key no present row holds: what a job still has to act on. A cascaded delete of a
 * soft-deleted child table only marks its rows, so marked children count as done.
 */
function pendingChildren(context: EnforcementContext, relation: Relation, write: 'update' | 'delete', keys: KeyTuple[]): Sql {
  const child = columnRefs('c', relation.child.columns)
  const soft = write === 'delete' && relation.onDelete === 'cascade' ? context.softDelete(relation.child) : undefined
  const unmarked = soft ? [notSoftDeleted(soft, 'c')] : []
  const [column] = child
  const byKey = column && child.length === 1 ? childOfAbsentKeys(context, relation, column, keys) : undefined
  if (byKey) return andAll([childFilter(relation, 'c'), byKey, ...unmarked])
  const match = andAll(relation.parent.columns.map((column, i) => sql`${sql.id('p', column)} = ${child[i]}`))
  const gone = sql`not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id('p')} where ${match} and ${presentSql(context, relation, 'p')})`
  return andAll([childFilter(relation, 'c'), keyMatch(context, relation, 'child', child, keys), gone, ...unmarked])
}

/**
 * One batch of a queued job, inside the caller's transaction: locks up to `limit` children of the job's
 * keys (or of the keys in `window`) whose parent is still gone (FOR UPDATE), reads the parent table again for
 * exactly those keys (a key held by a parent again, re-inserted or re-keyed to it, keeps its children: see the
 * README), and applies the relation's action to the rest through the engine, so the grandchildren get their own
 * relations' actions (inline ones at once, queued ones as new jobs in this same transaction). A batch looks for
 * one child more than it acts on, to know whether the keys it looked at have any left.
 */
export async function runQueuedBatch(
  context: EnforcementContext,
  relation: Relation,
  write: 'update' | 'delete',
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  limit: number,
  window?: KeyWindow,
  stamp?: BatchStamp,
): Promise<QueuedBatch> {
  const [start, end] = window?.bounds() ?? [0, changes.length]
  const keys = changes.slice(start, end).map((change) => change.before)
  const pending = pendingChildren(context, relation, write, keys)
  const acted = (await deletesLeafRows(context, relation, write))
    ? await deleteLeafRows(context, relation, pending, limit, stamp)
    : await actOnLockedRows(context, relation, write, changes, pending, limit)
  window?.advance(acted.found, limit)
  if (acted.found > limit || (window && !window.passedEnd())) return { rows: acted.rows, finished: false }
  const all = changes.map((change) => change.before)
  const finished = !(await anyLeft(context, relation, pendingChildren(context, relation, write, all)))
  // A child changed under a batch, or written after its key was passed: the window goes over the keys again.
  if (!finished) window?.rewind()
  return { rows: acted.rows, finished }
}

/** What a batch did: the rows it changed, and how many pending children it found (at most `limit` + 1). */
interface ActedRows {
  rows: number
  found: number
}

/** The general batch: lock the pending children, re-read their parents, and act on those still without one through the engine. */
async function actOnLockedRows(
  context: EnforcementContext,
  relation: Relation,
  write: 'update' | 'delete',
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  pending: Sql,
  limit: number,
): Promise<ActedRows> {
  const identity = identityOf(context, relation)
  const selections = [
    ...identity.map((column, i) => sql`${sql.id('c', column)} as ${sql.id(`i${i}`)}`),
    ...relation.child.columns.map((column, i) => sql`${sql.id('c', column)} as ${sql.id(`k${i}`)}`),
  ]
  const { rows } = await context.runner.run<Record<string, unknown>>(
    sql`select ${sql.join(selections)} from ${tableSql(relation.child)} as ${sql.id('c')} where ${pending} limit ${sql.lit(limit + 1)} for update`,
  )
  const locked: LockedRow[] = rows.slice(0, limit).map((row) => ({
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
    const spec = workerActionSpec(
      context,
      relation,
      write,
      changes.filter((change) => targetKeys.has(keyId(change.before))),
      onlyRows(context, relation, identity, targets),
    )
    await enforceWrite(context, spec, state)
  }
  return { rows: targets.length, found: rows.length }
}

/**
 * The leaf batch (see `deletesLeafRows`): one statement, prepared, picks the pending rows by ctid, one more than the
 * batch, and deletes all but that one. With a `stamp` it also locks and updates the job's row, deleting nothing
 * unless the job is still this worker's, and commits without waiting for the WAL flush on a PostgreSQL server (the
 * rows and their progress record are lost or kept together; see own-transaction.ts): one round trip, no transaction.
 * The rows it reports are the rows it picked: the DELETE returns nothing, since RETURNING would fetch every deleted
 * row again (a fifth of the batch's time). A picked row that a concurrent transaction changes before the DELETE
 * reaches it is skipped (its ctid changed), picked again by a later batch and counted a second time.
 */
async function deleteLeafRows(
  context: EnforcementContext,
  relation: Relation,
  pending: Sql,
  limit: number,
  stamp?: BatchStamp,
): Promise<ActedRows> {
  const table = tableSql(relation.child)
  const owned = stamp ? sql`${sql.id('owned')} as (${stamp.owner}), ` : sql``
  const ownedOnly = stamp ? sql`exists (select 1 from ${sql.id('owned')}) and ` : sql``
  const deleted = sql`least((select cardinality(${sql.id('rows')}) from ${sql.id('picked')}), ${sql.lit(limit)})`
  const recorded = stamp ? sql`, ${sql.id('recorded')} as (${stamp.record(deleted)})` : sql``
  const asyncCommit = stamp && context.runner.engine === 'postgres' ? sql`, set_config('synchronous_commit', 'off', true)` : sql``
  const ownedCount = stamp ? sql`(select count(*) from ${sql.id('owned')})` : sql`1`
  const { rows } = await context.runner.run<{ deleted: unknown; found: unknown; owned: unknown }>(
    prepared(sql`with ${owned}${sql.id('picked')} as (select array(
        select ${sql.id('c', 'ctid')} from ${table} as ${sql.id('c')} where ${pending} limit ${sql.lit(limit + 1)}) as ${sql.id('rows')}),
      ${sql.id('gone')} as (delete from ${table} as ${sql.id('d')}
        where ${ownedOnly}${sql.id('d', 'ctid')} = any(((select ${sql.id('rows')}[1:${sql.lit(limit)}] from ${sql.id('picked')}))::tid[]))${recorded}
      select ${deleted} as ${sql.id('deleted')},
        (select cardinality(${sql.id('rows')}) from ${sql.id('picked')}) as ${sql.id('found')}, ${ownedCount} as ${sql.id('owned')}${asyncCommit}`),
  )
  if (Number(rows[0]?.owned ?? 0) === 0) throw new StampLostError()
  return { rows: Number(rows[0]?.deleted ?? 0), found: Number(rows[0]?.found ?? 0) }
}

/**
 * Whether a child still waits for the job; a batch with LIMIT may come back short when a concurrent one changed rows.
 * On PostgreSQL the look counts `ctid`s instead of stopping at the first row: the index entries of every child the
 * job deleted are still there, and the planner, trusting a visibility map from before the deletes, would visit
 * their heap tuples one by one (an index-only scan with a heap fetch each: 26 ms for 100,000 deleted lines) rather
 * than page by page through a bitmap (6 ms), which a count of a column the index lacks makes it choose.
 */
async function anyLeft(context: EnforcementContext, relation: Relation, pending: Sql): Promise<boolean> {
  const child = sql`${tableSql(relation.child)} as ${sql.id('c')}`
  if (context.runner.family === 'postgres') {
    const { rows } = await context.runner.run<{ left: unknown }>(
      sql`select count(${sql.id('c')}.ctid) as ${sql.id('left')} from ${child} where ${pending}`,
    )
    return Number(rows[0]?.left) > 0
  }
  const left = await context.runner.run(sql`select 1 as ${sql.id('left')} from ${child} where ${pending} limit 1`)
  return left.rows.length > 0
}

/**
 * A cascaded delete of rows that nothing else refers to, on PostgreSQL: then one statement deletes the batch, picking
 * its rows by ctid, with no row read into the worker and no engine pass. A row changed by a concurrent transaction
 * between the pick and the delete has a new ctid and is left for the next batch. The child table must be no parent
 * itself, not soft-deleted, and the transaction not under snapshot isolation (whose crosscheck tracks deleted rows).
 */
export async function deletesLeafRows(context: EnforcementContext, relation: Relation, write: 'update' | 'delete'): Promise<boolean> {
  return (
    context.runner.family === 'postgres' &&
    write === 'delete' &&
    relation.onDelete === 'cascade' &&
    context.graph.childrenOf(relation.child).length === 0 &&
    !context.softDelete(relation.child) &&
    !(await usesTransactionSnapshot(context))
  )
}
