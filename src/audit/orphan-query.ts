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

function keyMatchesSql(relation: Relation): RawBuilder<unknown> {
  return and(
    relation.child.columns.map(
      (column, i) => sql`${columnSql(PARENT, relation.parent.columns[i] as string)} = ${columnSql(CHILD, column)}`,
    ),
  )
}

/** `NOT EXISTS (select 1 from parent p where p.k = c.k ...)`: the anti-join. */
function noParentSql(relation: Relation): RawBuilder<unknown> {
  return sql`not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id(PARENT)} where ${keyMatchesSql(relation)})`
}

/** The condition that makes a child row (aliased `c`) an orphan of the relation. */
export function orphanConditionSql(relation: Relation): RawBuilder<unknown> {
  return sql`${childFilterSql(relation)} and ${keyNeedsParentSql(relation)} and ${noParentSql(relation)}`
}

/** `from child as c`. */
export function childFromSql(relation: Relation): RawBuilder<unknown> {
  return sql`${tableSql(relation.child)} as ${sql.id(CHILD)}`
}

/** How samples of orphaned keys are gathered in the counting pass, if they can be. */
export type InPassSamples = 'postgres' | 'mariadb' | 'none'

/** What one counting statement computes besides the row and orphan counts. */
export interface CountOptions {
  /** A PK or unique parent key lets one LEFT JOIN count everything; otherwise a count plus an anti-join. */
  parentUnique: boolean
  /** Restricts the pass to one chunk of the child table (a condition on alias `c`). */
  range?: RawBuilder<unknown>
  /** Values of a single-column key to count separately among the orphans (sentinels such as 0 or ''). */
  sentinels: Array<string | number>
  /** Up to this many distinct orphaned keys, smallest first, gathered in the same pass. */
  sample: number
  samples: InPassSamples
}

/** One counting statement's row: counts come back as numbers or numeric strings depending on the driver. */
export interface CountRow {
  rows_checked: unknown
  orphans: unknown
  /** PostgreSQL: a JSON array of key arrays; MariaDB: key arrays as JSON text, one per line. */
  samples?: unknown
  [sentinel: `sentinel_${number}`]: unknown
}

function keyArraySql(relation: Relation, family: InPassSamples): RawBuilder<unknown> {
  const columns = sql.join(relation.child.columns.map((column) => columnSql(CHILD, column)))
  return family === 'postgres' ? sql`jsonb_build_array(${columns})` : sql`json_array(${columns})`
}

/** Aggregates over the rows of the pass, given the condition that marks a row as an orphan. */
function orphanAggregatesSql(relation: Relation, options: CountOptions, orphan: RawBuilder<unknown>): RawBuilder<unknown>[] {
  const key = columnSql(CHILD, relation.child.columns[0] as string)
  const parts = options.sentinels.map(
    (value, i) => sql`coalesce(sum(case when ${orphan} and ${key} = ${value} then 1 else 0 end), 0) as ${sql.id(`sentinel_${i}`)}`,
  )
  if (options.sample > 0 && options.samples !== 'none') {
    const keys = keyArraySql(relation, options.samples)
    const ordered = sql.join(relation.child.columns.map((column) => columnSql(CHILD, column)))
    const limit = sql.lit(options.sample)
    parts.push(
      options.samples === 'postgres'
        ? sql`to_jsonb((array_agg(distinct ${keys} order by ${keys}) filter (where ${orphan}))[1:${limit}]) as samples`
        : sql`group_concat(distinct case when ${orphan} then ${keys} end order by ${ordered} separator '\n' limit ${limit}) as samples`,
    )
  }
  return parts
}

/**
 * One statement, one pass over the child table (or one chunk of it): how many rows the relation covers,
 * how many are orphans, how many orphans hold each sentinel value, and the smallest orphaned keys. With a
 * unique parent key a LEFT JOIN does it all at once (a child matches at most one parent); otherwise the
 * count and the NOT EXISTS anti-join are two subqueries.
 */
export function orphanCountSql(relation: Relation, options: CountOptions): RawBuilder<CountRow> {
  const where = options.range ? sql`${childFilterSql(relation)} and ${options.range}` : childFilterSql(relation)
  if (!options.parentUnique) {
    const extra = orphanAggregatesSql(relation, options, sql`1 = 1`)
    return sql`select
      (select count(*) from ${childFromSql(relation)} where ${where}) as rows_checked, o.*
      from (select count(*) as orphans${sql.join(
        extra.map((part) => sql`, ${part}`),
        sql``,
      )} from ${childFromSql(relation)} where ${where} and ${keyNeedsParentSql(relation)} and ${noParentSql(relation)}) as o`
  }
  const orphan = sql`${keyNeedsParentSql(relation)} and ${columnSql(PARENT, relation.parent.columns[0] as string)} is null`
  const extra = orphanAggregatesSql(relation, options, orphan)
  return sql`select count(*) as rows_checked,
      coalesce(sum(case when ${orphan} then 1 else 0 end), 0) as orphans${sql.join(
        extra.map((part) => sql`, ${part}`),
        sql``,
      )}
    from ${childFromSql(relation)} left join ${tableSql(relation.parent)} as ${sql.id(PARENT)} on ${keyMatchesSql(relation)}
    where ${where}`
}

/**
 * Up to `limit` distinct orphaned keys, smallest first, for engines that cannot gather them in the counting
 * pass (MySQL). `range` restricts it to one chunk.
 */
export function orphanSampleSql(relation: Relation, limit: number, range?: RawBuilder<unknown>): RawBuilder<Record<string, unknown>> {
  const keys = sql.join(relation.child.columns.map((column) => columnSql(CHILD, column)))
  const where = range ? sql`${orphanConditionSql(relation)} and ${range}` : orphanConditionSql(relation)
  return sql`select ${keys} from ${childFromSql(relation)} where ${where} group by ${keys} order by ${keys} limit ${sql.lit(limit)}`
}
