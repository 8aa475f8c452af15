import { ColumnNode, ColumnUpdateNode, type DeleteQueryNode, type QueryResult, sql, type UpdateQueryNode, WhereNode } from 'kysely'
import { checkNotReferenced, notSoftDeleted } from './checks.js'
import { deferred, type EnforcementContext, type SoftDeleteColumn } from './context.js'
import { UnguardedWriteError } from './errors.js'
import { executeWrite } from './execute-write.js'
import { distinctKeys, type KeyTuple } from './keys.js'
import { identityColumns, readPreimage } from './preimage.js'
import type { WriteSpec } from './write-spec.js'

/** A DELETE of a soft-deleted table as the UPDATE that marks its rows deleted (rows already marked keep their mark). */
function softDeleteSpec(spec: WriteSpec, soft: SoftDeleteColumn): WriteSpec {
  if (spec.multiTable) {
    throw new UnguardedWriteError(
      `${spec.target.table} is soft-deleted (softDelete.${spec.target.table}), and refguard turns only single-table deletes into soft deletes: delete without USING or joins (select the keys first), or mark the rows yourself`,
    )
  }
  const live = notSoftDeleted(soft, spec.target.alias)
  const value = soft.flag ? sql`true` : sql`current_timestamp`
  return {
    kind: 'update',
    target: spec.target,
    source: spec.source,
    where: spec.where ? sql`(${spec.where}) and ${live}` : live,
    ...(spec.tail ? { tail: spec.tail } : {}),
    multiTable: false,
    assignments: new Map([[soft.column, value]]),
    statement: (narrowing) => {
      const node = spec.statement(narrowing) as DeleteQueryNode
      const where = node.where
        ? WhereNode.cloneWithOperation(node.where, 'And', live.toOperationNode())
        : WhereNode.create(live.toOperationNode())
      const update: UpdateQueryNode = {
        kind: 'UpdateQueryNode',
        table: node.from.froms[0],
        where,
        updates: [ColumnUpdateNode.create(ColumnNode.create(soft.column), value.toOperationNode())],
        ...(node.returning ? { returning: node.returning } : {}),
        ...(node.orderBy ? { orderBy: node.orderBy } : {}),
        ...(node.limit ? { limit: node.limit } : {}),
      }
      return update
    },
  }
}

/**
 * A delete of a soft-deleted table (scheduled mode): the rows are marked deleted instead, after the RESTRICT and
 * NO ACTION relations find no children; CASCADE, SET NULL and SET DEFAULT wait for the sweeper. The marked rows
 * are locked first (FOR UPDATE), so a concurrent child write, which share-locks the parent it checks, either
 * commits before the mark (and a RESTRICT check sees it) or sees the parent marked and refuses.
 */
export async function softDelete(
  context: EnforcementContext,
  spec: WriteSpec,
  soft: SoftDeleteColumn,
  narrow: boolean,
): Promise<QueryResult<unknown>> {
  const update = softDeleteSpec(spec, soft)
  const table = context.tableRef(spec.target)
  const checked = context.graph
    .childrenOf(table)
    .filter((relation) => relation.onDelete === 'restrict' || relation.onDelete === 'no action')
  const columns = [...new Set(checked.flatMap((relation) => relation.parent.columns))]
  const identity = identityColumns(context, update)
  const rows = await readPreimage(context, update, columns, identity)
  for (const relation of checked) {
    const keys = distinctKeys(
      rows
        .map((row): KeyTuple => relation.parent.columns.map((column) => row.before.get(column)))
        .filter((key) => key.every((value) => value !== null && value !== undefined)),
    )
    if (keys.length === 0) continue
    if (relation.onDelete === 'no action' && deferred(context, relation))
      context.runner.transaction.deferred.push({ kind: 'no-action', relation, keys })
    else await checkNotReferenced(context, relation, keys, { exceptStillPresent: false, action: 'delete' })
  }
  return executeWrite(context, update, rows, identity, narrow)
}
