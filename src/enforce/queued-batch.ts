import { sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'
import { absentKeys, childFilter, childOfAbsentKeys, columnRefs, keyMatch, notSoftDeleted, presentSql } from './checks.js'
import { type EnforcementContext, newStatementState } from './context.js'
import { enforceWrite } from './enforce-statement.js'
import { identityOf, onlyRows } from './batch-rows.js'
import { type ActedRows, type BatchStamp, deleteLeafRows, deletesLeafRows } from './leaf-batch.js'
import { runLeafBatches } from './leaf-run.js'
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
  const byKey = pendingChildrenOf(context, relation, write, keys)
  if (byKey) return byKey
  const child = columnRefs('c', relation.child.columns)
  const match = andAll(relation.parent.columns.map((column, i) => sql`${sql.id('p', column)} = ${child[i]}`))
  const gone = sql`not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id('p')} where ${match} and ${presentSql(context, relation, 'p')})`
  return andAll([
    childFilter(relation, 'c'),
    keyMatch(context, relation, 'child', child, keys),
    gone,
    ...unmarked(context, relation, write),
  ])
}

/** `pendingChildren` for a one-column key on PostgreSQL (see `childOfAbsentKeys`), the keys a list or an array expression; else undefined. */
function pendingChildrenOf(
  context: EnforcementContext,
  relation: Relation,
  write: 'update' | 'delete',
  keys: KeyTuple[] | Sql,
): Sql | undefined {
  const [column, ...more] = columnRefs('c', relation.child.columns)
  const byKey = column && more.length === 0 ? childOfAbsentKeys(context, relation, column, keys) : undefined
  return byKey && andAll([childFilter(relation, 'c'), byKey, ...unmarked(context, relation, write)])
}

/** A cascaded delete into a soft-deleted child table only marks its rows: the condition that a child is not marked yet. */
function unmarked(context: EnforcementContext, relation: Relation, write: 'update' | 'delete'): Sql[] {
  const soft = write === 'delete' && relation.onDelete === 'cascade' ? context.softDelete(relation.child) : undefined
  return soft ? [notSoftDeleted(soft, 'c')] : []
}

/**
 * One batch of a queued job, inside the caller's transaction: locks up to `limit` children of the job's
 * keys (or of the keys in `window`) whose parent is still gone (FOR UPDATE), reads the parent table again for
 * exactly those keys (a key held by a parent again, re-inserted or re-keyed to it, keeps its children: see the
 * README), and applies the relation's action to the rest through the engine, so the grandchildren get their own
 * relations' actions (inline ones at once, queued ones as new jobs in this same transaction). A batch looks for
 * one child more than it acts on, to know whether the keys it looked at have any left. A leaf batch (see
 * `deletesLeafRows`) with a `stamp` is no transaction but its own statement; on a PostgreSQL server a call runs a
 * run of them (see `runLeafBatches`) and reports them as one.
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
  const all = changes.map((change) => change.before)
  const leaf = await deletesLeafRows(context, relation, write)
  const run =
    leaf && window && stamp
      ? await runLeafBatches(context, relation, all, limit, window, stamp, (keys) => pendingChildrenOf(context, relation, write, keys))
      : undefined
  const acted = run ?? (await oneBatch(context, relation, write, changes, limit, leaf, window, stamp))
  if (acted.found > limit || (window && !window.passedEnd())) return { rows: acted.rows, finished: false }
  const finished = !(await anyLeft(context, relation, pendingChildren(context, relation, write, all)))
  // A child changed under a batch, or written after its key was passed: the window goes over the keys again.
  if (!finished) window?.rewind()
  return { rows: acted.rows, finished }
}

/** One batch over the keys in the window (all of them without one), which it then moves on. */
async function oneBatch(
  context: EnforcementContext,
  relation: Relation,
  write: 'update' | 'delete',
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  limit: number,
  leaf: boolean,
  window?: KeyWindow,
  stamp?: BatchStamp,
): Promise<ActedRows> {
  const [start, end] = window?.bounds() ?? [0, changes.length]
  const pending = pendingChildren(
    context,
    relation,
    write,
    changes.slice(start, end).map((change) => change.before),
  )
  const acted = leaf
    ? await deleteLeafRows(context, relation, pending, limit, stamp)
    : await actOnLockedRows(context, relation, write, changes, pending, limit)
  window?.advance(acted.found, limit)
  return acted
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
