import {
  DefaultInsertValueNode,
  type InsertQueryNode,
  PrimitiveValueListNode,
  type QueryResult,
  sql,
  ValueListNode,
  ValuesNode,
} from 'kysely'
import { lockParentsSql } from './checks.js'
import type { EnforcementContext } from './context.js'
import { childKeys, literalRows } from './process-insert.js'
import { nodeSql, type Sql } from './sql-parts.js'
import { resolveTarget } from './target.js'

/** Most keys per relation the one-statement path takes (bounded by the parent check's chunk). */
const MAX_KEYS = 1000
/** MariaDB plans a derived table of many UNION ALL rows slowly: past this many rows, four statements are faster. */
const MAX_MYSQL_ROWS = 20

function hasDefaultKeyword(values: ValuesNode): boolean {
  return values.values.some((row) => ValueListNode.is(row) && row.values.some((value) => DefaultInsertValueNode.is(value)))
}

/** The VALUES rows as a derived table MySQL accepts: `select ? as a, ? as b union all select ?, ?`. */
function valuesAsSelects(values: ValuesNode, names: string[]): Sql {
  const rows = values.values.map((row, index) => {
    const cells = PrimitiveValueListNode.is(row) ? row.values.map((value) => sql`${value}`) : row.values.map(nodeSql)
    return sql`select ${sql.join(cells.map((cell, i) => (index === 0 ? sql`${cell} as ${sql.id(names[i] as string)}` : cell)))}`
  })
  return sql.join(rows, sql` union all `)
}

/**
 * Outside a transaction, a plain insert of literal rows becomes ONE statement that share-locks the
 * parents and inserts only if every parent was found. PostgreSQL:
 *   with l0 as (select 1 from parent p where p.id = any($1) for key share)
 *   insert into child (cols) select ... from (values ...) v where (select count(*) from l0) = 3
 * MySQL/MariaDB (a locking subquery reads the latest committed rows, whatever the isolation level):
 *   insert into child (cols) select ... from (select ? as a union all ...) v
 *   where (select count(*) from parent p where p.id in (...) lock in share mode) = 3
 * The locks and the rows commit together, so it is as safe as the general path, in one round trip
 * instead of four. Returns undefined when the statement does not qualify or a parent is missing:
 * the general path then runs and reports the error (or accepts a parent inserted by the same statement).
 */
export async function tryFastInsert(context: EnforcementContext, node: InsertQueryNode): Promise<QueryResult<unknown> | undefined> {
  const { runner, graph, facts } = context
  if (node.onConflict || node.onDuplicateKey || node.with || node.replace || node.orAction || !node.columns || !node.values)
    return undefined
  if (!ValuesNode.is(node.values) || hasDefaultKeyword(node.values)) return undefined
  if (runner.family === 'mysql' && node.values.values.length > MAX_MYSQL_ROWS) return undefined
  const target = resolveTarget(node.into, 'insert')
  const table = context.tableRef(target)
  const relations = graph.parentsOf(table)
  // A parent in another database cannot be locked by a statement on this one.
  if (relations.length === 0 || graph.childrenOf(table).length > 0 || relations.some((r) => r.parent.database !== r.child.database))
    return undefined
  const columns = [...new Set(relations.flatMap((relation) => [...relation.child.columns, ...Object.keys(relation.child.where ?? {})]))]
  const rows = literalRows(context, node, columns)
  if (!rows) return undefined
  let checks: Array<{ relation: (typeof relations)[number]; keys: unknown[][] }>
  try {
    checks = relations.map((relation) => ({ relation, keys: childKeys(relation, rows) })).filter((check) => check.keys.length > 0)
  } catch {
    return undefined
  }
  if (checks.length === 0 || checks.some((check) => check.keys.length > MAX_KEYS)) return undefined
  const names = node.columns.map((column) => column.column.name)
  const columnList = sql.join(names.map((name) => sql.id(name)))
  let statement: Sql
  if (runner.family === 'postgres') {
    const types = names.map((name) => facts.columnType(target, name))
    if (types.some((type) => type === undefined)) return undefined
    const locks = checks.map((check, i) => sql`${sql.id(`__rg_l${i}`)} as (${lockParentsSql(context, check.relation, check.keys)})`)
    const allFound = checks.map((check, i) => sql`(select count(*) from ${sql.id(`__rg_l${i}`)}) = ${sql.lit(check.keys.length)}`)
    const values = names.map((name, i) => sql`cast(${sql.id('__rg_v', name)} as ${sql.raw(types[i] as string)})`)
    statement = sql`with ${sql.join(locks)} insert into ${nodeSql(target.node)} (${columnList})
      select ${sql.join(values)} from (${nodeSql(node.values)}) as ${sql.id('__rg_v')}(${columnList})
      where ${sql.join(allFound, sql` and `)} ${node.returning ? nodeSql(node.returning) : sql``}`
  } else {
    const allFound = checks.map(
      (check) =>
        sql`(select count(*) from (${lockParentsSql(context, check.relation, check.keys)}) as ${sql.id('__rg_l')}) = ${sql.lit(check.keys.length)}`,
    )
    statement = sql`insert into ${nodeSql(target.node)} (${columnList})
      select ${sql.join(names.map((name) => sql.id('__rg_v', name)))} from (${valuesAsSelects(node.values, names)}) as ${sql.id('__rg_v')}
      where ${sql.join(allFound, sql` and `)}`
  }
  const result = await runner.run(statement)
  return Number(result.numAffectedRows ?? 0) === node.values.values.length ? result : undefined
}
