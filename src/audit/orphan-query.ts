import { type RawBuilder, sql } from 'kysely'
import { columnSql, tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'

const CHILD = 'c'
const PARENT = 'p'

function and(parts: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return parts.length === 0 ? sql`1 = 1` : sql`(${sql.join(parts, sql` and `)})`
}

/** The child-side polymorphic filter, `c.type = 'Post'`, or true. */
export function childFilterSql(relation: Relation): RawBuilder<unknown> {
  return and(
    Object.entries(relation.child.where ?? {}).map(([column, value]) =>
      value === null ? sql`${columnSql(CHILD, column)} is null` : sql`${columnSql(CHILD, column)} = ${value}`,
    ),
  )
}

/**
 * Rows whose key must have a parent: MATCH SIMPLE skips keys with any NULL; MATCH FULL only skips
 * all-NULL keys, so a key mixing NULL and non-NULL values counts as an orphan (no parent can match it).
 */
function keyNeedsParentSql(relation: Relation): RawBuilder<unknown> {
  const columns = relation.child.columns.map((column) => columnSql(CHILD, column))
  if (relation.match === 'simple') return and(columns.map((column) => sql`${column} is not null`))
  return sql`not ${and(columns.map((column) => sql`${column} is null`))}`
}

/** `NOT EXISTS (select 1 from parent p where p.k = c.k ...)`: the anti-join. */
function noParentSql(relation: Relation): RawBuilder<unknown> {
  const matches = relation.child.columns.map(
    (column, i) => sql`${columnSql(PARENT, relation.parent.columns[i] as string)} = ${columnSql(CHILD, column)}`,
  )
  return sql`not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id(PARENT)} where ${and(matches)})`
}

/** The condition that makes a child row (aliased `c`) an orphan of the relation. */
export function orphanConditionSql(relation: Relation): RawBuilder<unknown> {
  return sql`${childFilterSql(relation)} and ${keyNeedsParentSql(relation)} and ${noParentSql(relation)}`
}

/** `from child as c`. */
export function childFromSql(relation: Relation): RawBuilder<unknown> {
  return sql`${tableSql(relation.child)} as ${sql.id(CHILD)}`
}

/**
 * One statement, one pass over the child table: how many rows the relation covers and how many are
 * orphans. With a unique parent key a LEFT JOIN counts both at once (a child matches at most one
 * parent); otherwise the count and the NOT EXISTS anti-join are two subqueries.
 */
export function orphanCountSql(relation: Relation, parentUnique: boolean): RawBuilder<{ rows_checked: unknown; orphans: unknown }> {
  if (!parentUnique) {
    return sql`select
      (select count(*) from ${childFromSql(relation)} where ${childFilterSql(relation)}) as rows_checked,
      (select count(*) from ${childFromSql(relation)} where ${orphanConditionSql(relation)}) as orphans`
  }
  const matches = relation.child.columns.map(
    (column, i) => sql`${columnSql(PARENT, relation.parent.columns[i] as string)} = ${columnSql(CHILD, column)}`,
  )
  const unmatched = sql`${columnSql(PARENT, relation.parent.columns[0] as string)} is null`
  return sql`select count(*) as rows_checked,
      coalesce(sum(case when ${keyNeedsParentSql(relation)} and ${unmatched} then 1 else 0 end), 0) as orphans
    from ${childFromSql(relation)} left join ${tableSql(relation.parent)} as ${sql.id(PARENT)} on ${and(matches)}
    where ${childFilterSql(relation)}`
}

/**
 * Up to `limit` distinct orphaned keys, smallest first. On PostgreSQL the anti-join sits behind an
 * `offset 0` fence: otherwise the planner may walk the child index in key order hoping to stop
 * early, which reads nearly the whole index when the orphans sort last.
 */
export function orphanSampleSql(relation: Relation, limit: number, family: 'postgres' | 'mysql'): RawBuilder<Record<string, unknown>> {
  const keys = sql.join(relation.child.columns.map((column) => columnSql(CHILD, column)))
  const orphanKeys = sql`select ${keys} from ${childFromSql(relation)} where ${orphanConditionSql(relation)}`
  const outer = sql.join(relation.child.columns.map((column) => columnSql(CHILD, column)))
  const source = family === 'postgres' ? sql`(${orphanKeys} offset 0) as ${sql.id(CHILD)}` : childFromSql(relation)
  const where = family === 'postgres' ? sql`` : sql`where ${orphanConditionSql(relation)}`
  return sql`select ${outer} from ${source} ${where} group by ${outer} order by ${outer} limit ${sql.lit(limit)}`
}
