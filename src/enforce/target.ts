import { AliasNode, IdentifierNode, type OperationNode, TableNode } from 'kysely'
import { UnguardedWriteError } from './errors.js'

/** The table a write statement changes, and the name its columns are qualified with. */
export interface WriteTarget {
  schema?: string
  table: string
  /** The alias of the table in the statement, or the table name itself. */
  alias: string
  /** The table expression as it appears in the statement (table, or table AS alias). */
  node: OperationNode
}

/** The table name of a plain `table` or `table as alias` target; undefined for anything else. */
export function plainTableName(node: OperationNode | undefined): string | undefined {
  if (node && TableNode.is(node)) return node.table.identifier.name
  if (node && AliasNode.is(node) && TableNode.is(node.node)) return node.node.table.identifier.name
  return undefined
}

/** Reads the target of `insert into` / `update` / `delete from` from its table node. */
export function resolveTarget(node: OperationNode | undefined, statement: string): WriteTarget {
  if (node && TableNode.is(node)) {
    const { schema, identifier } = node.table
    return { ...(schema ? { schema: schema.name } : {}), table: identifier.name, alias: identifier.name, node }
  }
  if (node && AliasNode.is(node) && TableNode.is(node.node) && IdentifierNode.is(node.alias)) {
    const inner = resolveTarget(node.node, statement)
    return { ...inner, alias: node.alias.name, node }
  }
  throw new UnguardedWriteError(
    `refguard cannot tell which table this ${statement} writes (a multi-table or derived target); run it through guard.unguarded if it touches no guarded relation`,
  )
}
