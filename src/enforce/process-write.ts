import type { QueryResult } from 'kysely'
import { sql } from 'kysely'
import type { ReferentialAction, Relation, TableRef } from '../model/relation.js'
import { cascadeDelete, cascadeUpdate, setChildren } from './actions.js'
import { checkNotReferenced } from './checks.js'
import type { EnforcementContext, PendingChecks } from './context.js'
import { usesTransactionSnapshot } from './isolation.js'
import { chunks, distinctKeys, type KeyTuple, keyId, keyStatus, sameKey } from './keys.js'
import { matchFullError } from './messages.js'
import { identityColumns, type PreimageRow, readPreimage } from './preimage.js'
import { keyInList } from './sql-parts.js'
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

/** Checks NO ACTION at commit instead of at the end of the statement? */
function deferred(context: EnforcementContext, relation: Relation): boolean {
  return relation.deferrable && relation.initiallyDeferred && context.runner.transaction.active
}

/** Parent keys this write removes, per relation: the old keys of rows whose key changes (or that are deleted). */
function removedKeys(spec: WriteSpec, relation: Relation, rows: PreimageRow[]): Array<{ before: KeyTuple; after: KeyTuple }> {
  const changes = new Map<string, { before: KeyTuple; after: KeyTuple }>()
  for (const row of rows) {
    const before = relation.parent.columns.map((column) => row.before.get(column))
    const after = relation.parent.columns.map((column) => row.after.get(column))
    if (before.some((value) => value === null || value === undefined)) continue
    if (spec.kind === 'update' && sameKey(before, after)) continue
    const id = keyId(before)
    if (!changes.has(id)) changes.set(id, { before, after })
  }
  return [...changes.values()]
}

/** New child keys this write creates, per relation: rows whose key (or membership in the relation's filter) changes. */
function newChildKeys(relation: Relation, rows: PreimageRow[]): KeyTuple[] {
  const keys: KeyTuple[] = []
  for (const row of rows) {
    if (!inScope(relation, (column) => row.after.get(column))) continue
    const before = relation.child.columns.map((column) => row.before.get(column))
    const after = relation.child.columns.map((column) => row.after.get(column))
    const wasInScope = inScope(relation, (column) => row.before.get(column))
    if (wasInScope && sameKey(before, after)) continue
    const status = keyStatus(after, relation.match)
    if (status === 'invalid') throw matchFullError(relation, after, 'update')
    if (status === 'check') keys.push(after)
  }
  return distinctKeys(keys)
}

/** Remembers the row versions this transaction is about to delete or update. */
function recordOwnRows(context: EnforcementContext, table: TableRef, rows: PreimageRow[]): void {
  const key = `${table.schema}.${table.table}`
  const own = context.runner.transaction.ownRows.get(key) ?? new Set<string>()
  for (const row of rows) if (row.rowId) own.add(row.rowId)
  context.runner.transaction.ownRows.set(key, own)
}

/** Rows of the preimage, one per identity. */
function distinctRows(rows: PreimageRow[], identity: string[]): PreimageRow[] {
  if (identity.length === 0) return rows
  const seen = new Map<string, PreimageRow>()
  for (const row of rows) seen.set(keyId(row.identity), row)
  return [...seen.values()]
}

/** Runs the write itself; a statement the user wrote is narrowed to exactly the rows the preimage locked. */
async function executeWrite(
  context: EnforcementContext,
  spec: WriteSpec,
  rows: PreimageRow[],
  identity: string[],
  narrow: boolean,
): Promise<QueryResult<unknown>> {
  if (!narrow || identity.length === 0) return context.runner.runNode(spec.statement())
  const refs = identity.map((column) => sql.id(spec.target.alias, column))
  const lists = chunks(
    rows.map((row) => row.identity),
    CASCADE_CHUNK,
  ).map((chunk) => keyInList(refs, chunk))
  const narrowing = lists.length === 0 ? sql`1 = 0` : sql`(${sql.join(lists, sql` or `)})`
  return context.runner.runNode(spec.statement(narrowing.toOperationNode()))
}

/**
 * Enforces one UPDATE or DELETE and everything it sets off: locks and reads the rows it changes, checks
 * or acts on their children relation by relation (cascades recurse through this same function, one
 * statement per relation per level), and records the checks to make when the top-level statement ends.
 */
export async function processWrite(
  context: EnforcementContext,
  spec: WriteSpec,
  pending: PendingChecks,
  narrow: boolean,
): Promise<QueryResult<unknown>> {
  const { graph, runner } = context
  const table = context.tableRef(spec.target)
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
  const removals = new Map(asParent.map((relation) => [relation, removedKeys(spec, relation, rows)]))

  if (runner.family === 'mysql') {
    // InnoDB checks RESTRICT and NO ACTION alike, immediately, against the rows as they are now.
    for (const [relation, changes] of removals) {
      const action = actionOf(relation, spec.kind)
      if ((action === 'restrict' || action === 'no action') && changes.length > 0 && !deferred(context, relation)) {
        await checkNotReferenced(
          context,
          relation,
          changes.map((change) => change.before),
          { exceptStillPresent: false, action: spec.kind },
        )
      }
    }
  }

  const result = await executeWrite(context, spec, rows, identity, narrow)

  for (const [relation, changes] of removals) {
    if (changes.length === 0) continue
    const keys = changes.map((change) => change.before)
    pending.removed.push({ relation, keys })
    await applyAction(context, spec.kind, relation, changes, pending)
  }
  for (const relation of asChild) {
    const keys = newChildKeys(relation, rows)
    if (keys.length === 0) continue
    if (deferred(context, relation)) runner.transaction.deferred.push({ kind: 'parent-exists', relation, keys })
    else pending.parentExists.push({ relation, keys })
  }
  return result
}

async function applyAction(
  context: EnforcementContext,
  kind: WriteSpec['kind'],
  relation: Relation,
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  pending: PendingChecks,
): Promise<void> {
  const action = actionOf(relation, kind)
  const keys = changes.map((change) => change.before)
  switch (action) {
    case 'cascade':
      for (const chunk of chunks(changes, CASCADE_CHUNK)) {
        const spec =
          kind === 'delete'
            ? cascadeDelete(
                context,
                relation,
                chunk.map((change) => change.before),
              )
            : cascadeUpdate(context, relation, chunk)
        await processWrite(context, spec, pending, false)
      }
      return
    case 'set null':
    case 'set default':
      for (const chunk of chunks(keys, CASCADE_CHUNK)) {
        await processWrite(context, setChildren(context, relation, chunk, action === 'set null' ? 'null' : 'default', kind), pending, false)
      }
      // A child whose default equals the removed key keeps referencing it; PostgreSQL re-checks for exactly this.
      if (action === 'set default') pending.noAction.push({ relation, keys })
      return
    case 'restrict':
      if (context.runner.family === 'postgres') pending.restrict.push({ relation, keys })
      return
    case 'no action':
      if (deferred(context, relation)) context.runner.transaction.deferred.push({ kind: 'no-action', relation, keys })
      else if (context.runner.family === 'postgres') pending.noAction.push({ relation, keys })
      return
  }
}
