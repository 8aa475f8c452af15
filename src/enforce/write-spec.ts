import {
  ColumnNode,
  type ColumnUpdateNode,
  type DeleteQueryNode,
  type OperationNode,
  ReferenceNode,
  sql,
  type UpdateQueryNode,
  WhereNode,
} from 'kysely'
import { UnguardedWriteError } from './errors.js'
import { nodeSql, type Sql } from './sql-parts.js'
import { resolveTarget, type WriteTarget } from './target.js'

/**
 * An UPDATE or DELETE in the shape the engine works with, whether the user wrote it or a cascade
 * generated it: which rows (a FROM and WHERE a SELECT can reuse), and what it sets.
 */
export interface WriteSpec {
  kind: 'update' | 'delete'
  target: WriteTarget
  /** `from ...` of a SELECT over the same rows: the target, plus the statement's joins or extra tables. */
  source: Sql
  /** The WHERE condition, if any. */
  where?: Sql
  /** ORDER BY / LIMIT of the statement (MySQL), to select exactly the rows it would change. */
  tail?: Sql
  /** Whether the statement reads other tables (joins, FROM, USING): row locks must name the target. */
  multiTable: boolean
  /** Column -> new value expression (updates only). */
  assignments: Map<string, Sql>
  /** The statement to execute, optionally narrowed by an extra condition. */
  statement(narrowing?: OperationNode): OperationNode
}

function columnName(node: OperationNode): string {
  if (ColumnNode.is(node)) return node.column.name
  if (ReferenceNode.is(node) && ColumnNode.is(node.column)) return node.column.column.name
  throw new UnguardedWriteError('refguard cannot read the column of a SET clause; run the statement through guard.unguarded')
}

function narrowWhere(where: WhereNode | undefined, narrowing: OperationNode | undefined): WhereNode | undefined {
  if (!narrowing) return where
  return where ? WhereNode.cloneWithOperation(where, 'And', narrowing) : WhereNode.create(narrowing)
}

function tailOf(node: { orderBy?: OperationNode; limit?: OperationNode }): Sql | undefined {
  const parts = [node.orderBy, node.limit].filter((part): part is OperationNode => part !== undefined)
  return parts.length === 0 ? undefined : sql.join(parts.map(nodeSql), sql` `)
}

function sourceOf(target: WriteTarget, extras: OperationNode[], joins: readonly OperationNode[] = []): Sql {
  const froms = sql.join([nodeSql(target.node), ...extras.map(nodeSql)])
  return joins.length === 0 ? froms : sql`${froms} ${sql.join(joins.map(nodeSql), sql` `)}`
}

/** Describes a user's UPDATE. */
export function updateSpec(node: UpdateQueryNode): WriteSpec {
  if (node.with) throw new UnguardedWriteError('refguard does not enforce UPDATE ... WITH (a CTE); run it through guard.unguarded')
  const target = resolveTarget(node.table, 'update')
  const extras = [...(node.from?.froms ?? [])]
  return {
    kind: 'update',
    target,
    source: sourceOf(target, extras, node.joins),
    ...(node.where ? { where: nodeSql(node.where.where) } : {}),
    ...(tailOf(node) ? { tail: tailOf(node) } : {}),
    multiTable: extras.length > 0 || (node.joins?.length ?? 0) > 0,
    assignments: new Map((node.updates ?? []).map((update: ColumnUpdateNode) => [columnName(update.column), nodeSql(update.value)])),
    statement: (narrowing) => ({ ...node, where: narrowWhere(node.where, narrowing) }) as UpdateQueryNode,
  }
}

/** Describes a user's DELETE. */
export function deleteSpec(node: DeleteQueryNode): WriteSpec {
  if (node.with) throw new UnguardedWriteError('refguard does not enforce DELETE ... WITH (a CTE); run it through guard.unguarded')
  if (node.from.froms.length !== 1) {
    throw new UnguardedWriteError('refguard does not enforce multi-table DELETE; delete from one table at a time, or use guard.unguarded')
  }
  const target = resolveTarget(node.from.froms[0], 'delete')
  const extras = [...(node.using?.tables ?? [])]
  return {
    kind: 'delete',
    target,
    source: sourceOf(target, extras, node.joins),
    ...(node.where ? { where: nodeSql(node.where.where) } : {}),
    ...(tailOf(node) ? { tail: tailOf(node) } : {}),
    multiTable: extras.length > 0 || (node.joins?.length ?? 0) > 0,
    assignments: new Map(),
    statement: (narrowing) => ({ ...node, where: narrowWhere(node.where, narrowing) }) as DeleteQueryNode,
  }
}
