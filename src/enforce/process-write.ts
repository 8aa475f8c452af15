import type { QueryResult } from 'kysely'
import { type ReferentialAction, type Relation, type TableRef, tableId } from '../model/relation.js'
import { cascadeDelete, cascadeUpdate, setChildren } from './actions.js'
import { checkNotReferenced } from './checks.js'
import { deferred, type EnforcementContext, type StatementEvent, type StatementState } from './context.js'
import { executeWrite } from './execute-write.js'
import { compareIdentities, innodbRelationOrder } from './innodb-order.js'
import { usesTransactionSnapshot } from './isolation.js'
import { chunks, distinctKeys, type KeyTuple, keyId, keyStatus, sameKey } from './keys.js'
import { identityColumns, type PreimageRow, readPreimage } from './preimage.js'
import { queuesAction, refuseAcrossDatabases } from './queued-actions.js'
import { softDelete } from './soft-delete.js'
import type { WriteSpec } from './write-spec.js'

const CASCADE_CHUNK = 1000

/** Whether a row (as the given column values) falls under the relation's child-side filter. */
export function inScope(relation: Relation, value: (column: string) => unknown): boolean {
  return Object.entries(relation.child.where ?? {}).every(([column, expected]) => {
    const actual = value(column)
    if (expected === null) return actual === null || actual === undefined
    return keyId([actual]) === keyId([expected])
  })
}

function touches(assignments: Map<string, unknown>, columns: string[]): boolean {
  return columns.some((column) => assignments.has(column))
}

/** A relation's action for this kind of write. */
function actionOf(relation: Relation, kind: WriteSpec['kind']): ReferentialAction {
  return kind === 'delete' ? relation.onDelete : relation.onUpdate
}

/** Queues the new child keys of a relation for the end of the statement, or for commit when deferred. */
export function queueChildKeys(
  context: EnforcementContext,
  state: StatementState,
  relation: Relation,
  keys: KeyTuple[],
  mixed: KeyTuple[] = [],
): void {
  if ((keys.length === 0 && mixed.length === 0) || state.trusted.has(relation.name)) return
  if (deferred(context, relation)) context.runner.transaction.deferred.push({ kind: 'parent-exists', relation, keys })
  else state.queue.push({ kind: 'child-keys', relation, keys, mixed })
}

/** The parent key a row gives up for a relation: its old key, if the row is deleted or its key changes. */
function rowChange(spec: WriteSpec, relation: Relation, row: PreimageRow): { before: KeyTuple; after: KeyTuple } | undefined {
  const before = relation.parent.columns.map((column) => row.before.get(column))
  const after = relation.parent.columns.map((column) => row.after.get(column))
  if (before.some((value) => value === null || value === undefined)) return undefined
  if (spec.kind === 'update' && sameKey(before, after)) return undefined
  return { before, after }
}

/** Parent keys this write removes for a relation: the old keys of rows whose key changes (or that are deleted). */
function removedKeys(spec: WriteSpec, relation: Relation, rows: PreimageRow[]): Array<{ before: KeyTuple; after: KeyTuple }> {
  const changes = new Map<string, { before: KeyTuple; after: KeyTuple }>()
  for (const row of rows) {
    const change = rowChange(spec, relation, row)
    if (change && !changes.has(keyId(change.before))) changes.set(keyId(change.before), change)
  }
  return [...changes.values()]
}

/** Whether an action event is a check (RESTRICT, or a NO ACTION checked in this statement) rather than a change. */
function isCheck(context: EnforcementContext, relation: Relation, kind: WriteSpec['kind']): boolean {
  const action = actionOf(relation, kind)
  // SET DEFAULT ends with a check of its own (see applyAction).
  return action === 'restrict' || action === 'set default' || (action === 'no action' && !deferred(context, relation))
}

/** Whether a write's relations mix checks with changes, so that the order of its rows matters (queued actions do not act now). */
function mixesChecksWithChanges(context: EnforcementContext, spec: WriteSpec, relations: Relation[]): boolean {
  const acting = relations.filter((relation) => !queuesAction(relation, spec.kind))
  const checks = acting.filter((relation) => isCheck(context, relation, spec.kind)).length
  return checks > 0 && checks < acting.length
}

/**
 * A write's action events, relations and rows in the engine's order: PostgreSQL fires its triggers per
 * relation in config order, InnoDB in its own order (innodb-order.ts), both row by row. That order only
 * matters when checks and changes mix: then events go row by row, so a check sees exactly the changes
 * made before it. Otherwise one event per relation keeps the cascades set-based.
 */
function actionEvents(
  context: EnforcementContext,
  spec: WriteSpec,
  relations: Relation[],
  rows: PreimageRow[],
): Array<Extract<StatementEvent, { kind: 'action' }>> {
  if (!mixesChecksWithChanges(context, spec, relations)) {
    return relations
      .map((relation) => ({ kind: 'action' as const, relation, write: spec.kind, changes: removedKeys(spec, relation, rows) }))
      .filter((event) => event.changes.length > 0)
  }
  return rows.flatMap((row) =>
    relations.flatMap((relation) => {
      const change = rowChange(spec, relation, row)
      return change ? [{ kind: 'action' as const, relation, write: spec.kind, changes: [change] }] : []
    }),
  )
}

/** New child keys this write creates: rows whose key (or membership in the relation's filter) changes. */
function newChildKeys(relation: Relation, rows: PreimageRow[]): { keys: KeyTuple[]; mixed: KeyTuple[] } {
  const keys: KeyTuple[] = []
  const mixed: KeyTuple[] = []
  for (const row of rows) {
    if (!inScope(relation, (column) => row.after.get(column))) continue
    const before = relation.child.columns.map((column) => row.before.get(column))
    const after = relation.child.columns.map((column) => row.after.get(column))
    const wasInScope = inScope(relation, (column) => row.before.get(column))
    if (wasInScope && sameKey(before, after)) continue
    const status = keyStatus(after, relation.match)
    if (status === 'invalid') mixed.push(after)
    if (status === 'check') keys.push(after)
  }
  return { keys: distinctKeys(keys), mixed: distinctKeys(mixed) }
}

/** Remembers the row versions this transaction is about to delete or update. */
function recordOwnRows(context: EnforcementContext, table: TableRef, rows: PreimageRow[]): void {
  const key = `${table.schema}.${table.table}`
  const own = context.runner.transaction.ownRows.get(key) ?? new Set<string>()
  for (const row of rows) if (row.rowId) own.add(row.rowId)
  context.runner.transaction.ownRows.set(key, own)
}

/** Marks a row as being deleted by this statement; false if it already was. */
function claimDelete(state: StatementState, table: TableRef, row: PreimageRow): boolean {
  const id = `${tableId(table)}\u0000${keyId(row.identity.length > 0 ? row.identity : [...row.before.values()])}`
  if (state.deleting.has(id)) return false
  state.deleting.add(id)
  return true
}

/** Rows of the preimage, one per identity. */
function distinctRows(rows: PreimageRow[], identity: string[]): PreimageRow[] {
  if (identity.length === 0) return rows
  const seen = new Map<string, PreimageRow>()
  for (const row of rows) seen.set(keyId(row.identity), row)
  return [...seen.values()]
}

/**
 * Runs a write's actions as InnoDB does, before its rows change: relations in InnoDB's order, rows in primary-key
 * order, one row at a time when checks mix with changes. A row's delete is claimed when its turn comes, as InnoDB
 * delete-marks the row then: a cascade that reaches a row the statement has not come to yet runs that row's
 * actions at once (and the statement skips it later), and one that comes back to a row under way (a
 * self-reference, a cycle) leaves it alone.
 */
async function runInnodbActions(
  context: EnforcementContext,
  spec: WriteSpec,
  state: StatementState,
  table: TableRef,
  relations: Relation[],
  rows: PreimageRow[],
): Promise<void> {
  const ordered = innodbRelationOrder(context.facts.of(table), relations)
  const sorted = [...rows].sort(compareIdentities)
  const turns = mixesChecksWithChanges(context, spec, ordered) ? sorted.map((row) => [row]) : [sorted]
  if (spec.kind === 'update') state.updatePath.push(tableId(table))
  try {
    for (const turn of turns) {
      const fresh = spec.kind === 'delete' ? turn.filter((row) => claimDelete(state, table, row)) : turn
      for (const event of actionEvents(context, spec, ordered, fresh)) await applyAction(context, event, state)
    }
  } finally {
    if (spec.kind === 'update') state.updatePath.pop()
  }
}

/**
 * Enforces one UPDATE or DELETE and everything it sets off: locks and reads the rows it changes (old and
 * new key values in one query), runs the write, and hands each relation's action to `state`. On
 * PostgreSQL actions are queued and run when the statement ends, in PostgreSQL's trigger order; on
 * MySQL-family engines they run at once, before the parent row changes, in InnoDB's order. Cascades come
 * back through this same function: one statement per relation per level (per 1000 keys), never one per row.
 */
export async function processWrite(
  context: EnforcementContext,
  spec: WriteSpec,
  state: StatementState,
  narrow: boolean,
): Promise<QueryResult<unknown>> {
  const { graph, runner } = context
  const table = context.tableRef(spec.target)
  const soft = spec.kind === 'delete' ? context.softDelete(table) : undefined
  if (soft) return softDelete(context, spec, soft, narrow)
  const asParent = graph
    .childrenOf(table)
    .filter((relation) => spec.kind === 'delete' || touches(spec.assignments, relation.parent.columns))
  const asChild =
    spec.kind === 'update'
      ? graph
          .parentsOf(table)
          .filter((relation) => touches(spec.assignments, [...relation.child.columns, ...Object.keys(relation.child.where ?? {})]))
      : []
  // Under snapshot isolation the crosscheck must tell this transaction's own changes to child rows from others'.
  const trackRows = graph.parentsOf(table).length > 0 && (await usesTransactionSnapshot(context))
  if (asParent.length === 0 && asChild.length === 0) {
    if (trackRows) recordOwnRows(context, table, await readPreimage(context, spec, [], [], true))
    return runner.runNode(spec.statement())
  }

  const columns = [
    ...new Set([
      ...asParent.flatMap((relation) => relation.parent.columns),
      ...asChild.flatMap((relation) => [...relation.child.columns, ...Object.keys(relation.child.where ?? {})]),
    ]),
  ]
  const identity = identityColumns(context, spec)
  const rows = distinctRows(await readPreimage(context, spec, columns, identity, trackRows), identity)
  if (trackRows) recordOwnRows(context, table, rows)
  if (runner.family === 'mysql') await runInnodbActions(context, spec, state, table, asParent, rows)
  const result = await executeWrite(context, spec, rows, identity, narrow)
  for (const relation of asParent) {
    // Children of a queued relation stay until a worker comes: nothing for the snapshot crosscheck to look for.
    if (queuesAction(relation, spec.kind)) continue
    const keys = removedKeys(spec, relation, rows).map((change) => change.before)
    if (keys.length > 0) state.removed.push({ relation, keys })
  }
  if (runner.family === 'postgres') state.queue.push(...actionEvents(context, spec, asParent, rows))
  for (const relation of asChild) {
    const { keys, mixed } = newChildKeys(relation, rows)
    queueChildKeys(context, state, relation, keys, mixed)
  }
  return result
}

/** Runs one relation's action for the parent keys a write removed: cascade, SET NULL / DEFAULT, or the RESTRICT / NO ACTION check. */
export async function applyAction(
  context: EnforcementContext,
  event: Extract<StatementEvent, { kind: 'action' }>,
  state: StatementState,
): Promise<void> {
  const { relation, write, changes } = event
  if (queuesAction(relation, write)) {
    state.outbox.push({ relation, write, changes })
    return
  }
  refuseAcrossDatabases(relation, write)
  const keys = changes.map((change) => change.before)
  let action = actionOf(relation, write)
  // InnoDB: an ON UPDATE CASCADE / SET NULL that comes back to a table its own cascade path is updating acts as RESTRICT.
  const innodbLoop = context.runner.family === 'mysql' && write === 'update' && state.updatePath.includes(tableId(relation.child))
  if (innodbLoop && (action === 'cascade' || action === 'set null')) action = 'restrict'
  switch (action) {
    case 'cascade':
      for (const chunk of chunks(changes, CASCADE_CHUNK)) {
        const before = chunk.map((change) => change.before)
        const spec = write === 'delete' ? cascadeDelete(context, relation, before) : cascadeUpdate(context, relation, chunk)
        await processWrite(context, spec, state, false)
      }
      return
    case 'set null':
    case 'set default':
      for (const chunk of chunks(keys, CASCADE_CHUNK)) {
        await processWrite(context, setChildren(context, relation, chunk, action === 'set null' ? 'null' : 'default', write), state, false)
      }
      // A child whose default equals the removed key keeps referencing it; PostgreSQL re-checks for exactly this, at once.
      // MySQL-family actions run before the parent row goes, so there the re-check waits for the statement's end.
      if (action !== 'set default') return
      if (context.runner.family === 'postgres')
        await checkNotReferenced(context, relation, keys, { exceptStillPresent: true, action: write })
      else state.queue.push({ kind: 'still-referenced', relation, keys, write })
      return
    case 'restrict':
      await checkNotReferenced(context, relation, keys, { exceptStillPresent: false, action: write })
      return
    case 'no action':
      if (deferred(context, relation)) context.runner.transaction.deferred.push({ kind: 'no-action', relation, keys })
      // InnoDB's NO ACTION is RESTRICT: checked at once, with no exception for keys that come back.
      else await checkNotReferenced(context, relation, keys, { exceptStillPresent: context.runner.family === 'postgres', action: write })
      return
  }
}
