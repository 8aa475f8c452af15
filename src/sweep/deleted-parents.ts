import { sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import { childFilter, columnRefs } from '../enforce/checks.js'
import type { EnforcementContext, SoftDeleteColumn } from '../enforce/context.js'
import type { KeyTuple } from '../enforce/keys.js'
import { andAll, keyInList, type Sql } from '../enforce/sql-parts.js'
import type { Relation, TableRef } from '../model/relation.js'

/** The condition that a row (aliased `alias`) is soft-deleted: the timestamp set, or the flag true. */
export function softDeletedSql(soft: SoftDeleteColumn, alias: string): Sql {
  const column = sql.id(alias, soft.column)
  return soft.flag ? sql`${column} is true` : sql`${column} is not null`
}

/** `(a, b) > (x, y)`: the keyset condition past the last key of the previous page. */
function after(refs: Sql[], key: KeyTuple): Sql {
  const values = key.map((value) => sql`${value}`)
  return refs.length === 1 ? sql`${refs[0]} > ${values[0]}` : sql`(${sql.join(refs)}) > (${sql.join(values)})`
}

/** The next page of a relation's parent keys held by soft-deleted rows, in key order after `from`. */
export async function deletedParentKeys(
  context: EnforcementContext,
  relation: Relation,
  soft: SoftDeleteColumn,
  from: KeyTuple | undefined,
  limit: number,
): Promise<KeyTuple[]> {
  const refs = columnRefs('p', relation.parent.columns)
  const conditions = [softDeletedSql(soft, 'p'), ...refs.map((ref) => sql`${ref} is not null`), ...(from ? [after(refs, from)] : [])]
  const { rows } = await context.runner.run<Record<string, unknown>>(
    sql`select distinct ${sql.join(refs.map((ref, i) => sql`${ref} as ${sql.id(`k${i}`)}`))}
      from ${tableSql(relation.parent)} as ${sql.id('p')} where ${andAll(conditions)}
      order by ${sql.join(refs.map((_, i) => sql.id(`k${i}`)))} limit ${sql.lit(limit)}`,
  )
  return rows.map((row) => relation.parent.columns.map((_, i) => row[`k${i}`]))
}

/** No child of any of the relations references the parent row aliased `alias`. */
function unreferenced(relations: Relation[], alias: string): Sql {
  return andAll(
    relations.map((relation) => {
      const child = columnRefs('c', relation.child.columns)
      const match = andAll(relation.parent.columns.map((column, i) => sql`${child[i]} = ${sql.id(alias, column)}`))
      return sql`not exists (select 1 from ${tableSql(relation.child)} as ${sql.id('c')} where ${childFilter(relation, 'c')} and ${match})`
    }),
  )
}

/** The columns that pick out one parent row: its primary key, PostgreSQL's ctid, or else a relation's (unique) parent key. */
function rowIdentity(context: EnforcementContext, table: TableRef, relations: Relation[]): { columns: string[]; types?: string[] } {
  const identity = context.facts.of(table)?.identity ?? []
  if (identity.length > 0) return { columns: identity }
  if (context.runner.family === 'postgres') return { columns: ['ctid'], types: ['tid'] }
  return { columns: (relations[0] as Relation).parent.columns }
}

/**
 * Hard-deletes up to `limit` soft-deleted rows of `table` that no child of `relations` references any more, and
 * returns how many went. It locks them first (FOR UPDATE), then deletes them by identity. Plain SQL, not through
 * the engine: every relation this table is the parent of is scheduled, and the sweep has just acted on the children.
 */
export async function deleteSweptParents(
  context: EnforcementContext,
  table: TableRef,
  soft: SoftDeleteColumn,
  relations: Relation[],
  limit: number,
): Promise<number> {
  const { columns, types } = rowIdentity(context, table, relations)
  const refs = columnRefs('p', columns)
  const { rows } = await context.runner.run<Record<string, unknown>>(
    sql`select ${sql.join(refs.map((ref, i) => sql`${ref} as ${sql.id(`i${i}`)}`))} from ${tableSql(table)} as ${sql.id('p')}
      where ${softDeletedSql(soft, 'p')} and ${unreferenced(relations, 'p')} limit ${sql.lit(limit)} for update`,
  )
  if (rows.length === 0) return 0
  const keys = rows.map((row) => columns.map((_, i) => row[`i${i}`]))
  const target = columnRefs(table.table, columns)
  const result = await context.runner.run(sql`delete from ${tableSql(table)} where ${keyInList(target, keys, types)}`)
  return Number(result.numAffectedRows ?? 0n)
}

/** How many rows of `table` are soft-deleted. */
export async function countSoftDeleted(context: EnforcementContext, table: TableRef, soft: SoftDeleteColumn): Promise<number> {
  const { rows } = await context.runner.run<{ n: unknown }>(
    sql`select count(*) as ${sql.id('n')} from ${tableSql(table)} as ${sql.id('p')} where ${softDeletedSql(soft, 'p')}`,
  )
  return Number(rows[0]?.n ?? 0)
}
