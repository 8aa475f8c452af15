import {
  AliasNode,
  ColumnNode,
  type ColumnUpdateNode,
  IdentifierNode,
  type InsertQueryNode,
  type OperationNode,
  PrimitiveValueListNode,
  type QueryResult,
  ReferenceNode,
  ReturningNode,
  SelectionNode,
  ValueListNode,
  ValueNode,
  ValuesNode,
} from 'kysely'
import { type Relation, sameTable } from '../model/relation.js'
import type { EnforcementContext, StatementState } from './context.js'
import { UnguardedWriteError } from './errors.js'
import { distinctKeys, type KeyTuple, keyId, keyStatus } from './keys.js'
import { matchFullError, missingParentError } from './messages.js'
import { inScope, queueChildKeys } from './process-write.js'
import { resolveTarget } from './target.js'

const NOT_LITERAL = Symbol('not a literal')

/** A column default that is a constant (`0`, `'x'::text`, `NULL::integer`), or NOT_LITERAL. */
function literalDefault(expression: string | null | undefined): unknown {
  if (expression === null || expression === undefined) return null
  const text = expression.replace(/::[a-z ]+(\([\d, ]+\))?$/i, '').trim()
  if (/^null$/i.test(text)) return null
  if (/^\(?-?\d+(\.\d+)?\)?$/.test(text)) return text.replace(/[()]/g, '')
  const quoted = /^'((?:[^']|'')*)'$/.exec(text)
  return quoted ? (quoted[1] as string).replace(/''/g, "'") : NOT_LITERAL
}

function literalOf(node: OperationNode): unknown {
  return ValueNode.is(node) ? node.value : NOT_LITERAL
}

/** The inserted rows' values of `columns` when all are literals or constant defaults; otherwise undefined. */
export function literalRows(
  context: EnforcementContext,
  node: InsertQueryNode,
  columns: string[],
): Array<Map<string, unknown>> | undefined {
  if (!node.values || !ValuesNode.is(node.values) || !node.columns) return undefined
  const target = resolveTarget(node.into, 'insert')
  const positions = node.columns.map((column) => column.column.name)
  const defaults = context.facts.of(target)?.defaults
  const rows: Array<Map<string, unknown>> = []
  for (const item of node.values.values) {
    const values = PrimitiveValueListNode.is(item) ? item.values : ValueListNode.is(item) ? item.values.map(literalOf) : undefined
    if (!values) return undefined
    const row = new Map<string, unknown>()
    for (const column of columns) {
      const index = positions.indexOf(column)
      const value = index >= 0 ? values[index] : literalDefault(defaults?.get(column))
      if (value === NOT_LITERAL) return undefined
      row.set(column, value)
    }
    rows.push(row)
  }
  return rows
}

function updatedColumns(node: InsertQueryNode): string[] {
  const updates: readonly ColumnUpdateNode[] = [...(node.onConflict?.updates ?? []), ...(node.onDuplicateKey?.updates ?? [])]
  return updates.map((update) => (ColumnNode.is(update.column) ? update.column.column.name : ''))
}

/** Adds `column as __rgN` to the statement's RETURNING so the inserted keys come back, whatever produced them. */
async function insertReturning(
  context: EnforcementContext,
  node: InsertQueryNode,
  columns: string[],
): Promise<{ result: QueryResult<unknown>; rows: Array<Map<string, unknown>> }> {
  const hidden = columns.map((column, i) =>
    SelectionNode.create(AliasNode.create(ReferenceNode.create(ColumnNode.create(column)), IdentifierNode.create(`__rg${i}`))),
  )
  const returning = node.returning ? ReturningNode.cloneWithSelections(node.returning, hidden) : ReturningNode.create(hidden)
  const raw = await context.runner.runNode<Record<string, unknown>>({ ...node, returning } as InsertQueryNode)
  const rows = raw.rows.map((row) => new Map(columns.map((column, i) => [column, row[`__rg${i}`]])))
  const visible = node.returning
    ? raw.rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => !/^__rg\d+$/.test(key))))
    : []
  return { result: { ...raw, rows: visible, numAffectedRows: raw.numAffectedRows ?? BigInt(raw.rows.length) }, rows }
}

/** The distinct keys of rows inside the relation's filter; throws on a MATCH FULL mix of NULLs. */
export function childKeys(relation: Relation, rows: Array<Map<string, unknown>>): KeyTuple[] {
  const keys: KeyTuple[] = []
  for (const row of rows) {
    if (!inScope(relation, (column) => row.get(column))) continue
    const key = relation.child.columns.map((column) => row.get(column) ?? null)
    const status = keyStatus(key, relation.match)
    if (status === 'invalid') throw matchFullError(relation, key, 'insert')
    if (status === 'check') keys.push(key)
  }
  return distinctKeys(keys)
}

/** Enforces an INSERT (values, multi-row, insert…select, upserts): every new child key must have a parent at statement end. */
export async function processInsert(
  context: EnforcementContext,
  node: InsertQueryNode,
  state: StatementState,
): Promise<QueryResult<unknown>> {
  const { graph, runner } = context
  const target = resolveTarget(node.into, 'insert')
  if (node.replace)
    throw new UnguardedWriteError(`REPLACE into "${target.table}" deletes rows refguard cannot see: use insert … on duplicate key update`)
  const updated = updatedColumns(node)
  const table = context.tableRef(target)
  const referenced = graph.childrenOf(table).find((relation) => relation.parent.columns.some((column) => updated.includes(column)))
  if (referenced) {
    throw new UnguardedWriteError(
      `an upsert on "${target.table}" that changes referenced key columns (${referenced.parent.columns.join(', ')}) is not enforced: update the key with guard.db.updateTable instead`,
    )
  }
  const relations = graph.parentsOf(table)
  if (relations.length === 0) return runner.runNode(node)
  const selfReferences = relations.filter((relation) => sameTable(relation.parent, relation.child))
  const columns = [
    ...new Set([
      ...relations.flatMap((relation) => [...relation.child.columns, ...Object.keys(relation.child.where ?? {})]),
      ...selfReferences.flatMap((relation) => relation.parent.columns),
    ]),
  ]
  const upsertChangesKeys = updated.some((column) => columns.includes(column))
  const literal = upsertChangesKeys ? undefined : literalRows(context, node, columns)
  if (literal && runner.family === 'mysql') for (const relation of selfReferences) checkRowOrder(relation, literal)
  const { result, rows } = literal ? { result: await runner.runNode(node), rows: literal } : await insertReturning(context, node, columns)
  for (const relation of relations) queueChildKeys(context, state, relation, childKeys(relation, rows))
  return result
}

/**
 * InnoDB checks a multi-row insert row by row: a row may reference a row inserted before it by the same
 * statement, not one after it. Throws for the first row that would reference a later one.
 */
function checkRowOrder(relation: Relation, rows: Array<Map<string, unknown>>): void {
  const providedAt = new Map<string, number>()
  rows.forEach((row, index) => {
    const id = keyId(relation.parent.columns.map((column) => row.get(column)))
    if (!providedAt.has(id)) providedAt.set(id, index)
  })
  rows.forEach((row, index) => {
    const key = relation.child.columns.map((column) => row.get(column) ?? null)
    if (keyStatus(key, relation.match) !== 'check' || !inScope(relation, (column) => row.get(column))) return
    if ((providedAt.get(keyId(key)) ?? -1) > index) throw missingParentError(relation, key, 'insert')
  })
}
