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

/** `NOT EXISTS (select 1 from parent p where p.k = c.k ...)`: the anti-join, optionally told the parent key range too. */
function noParentSql(relation: Relation, parentRange?: RawBuilder<unknown>): RawBuilder<unknown> {
  const match = parentRange ? sql`${keyMatchesSql(relation)} and ${parentRange}` : keyMatchesSql(relation)
  return sql`not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id(PARENT)} where ${match})`
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
  /** Which engine family runs the statement: it decides the statement's shape (see `orphanCountSql`). */
  family: 'postgres' | 'mysql'
  /** A PK or unique parent key lets MySQL/MariaDB count everything in one LEFT JOIN; otherwise a count plus an anti-join. */
  parentUnique: boolean
  /** Restricts the pass to one chunk of the child table (a condition on alias `c`). */
  range?: RawBuilder<unknown>
  /**
   * The same chunk as a range of parent keys (alias `p`), when the chunk is a range of child keys: implied by the
   * join, but spelled out the planner merges two index range scans instead of hashing the whole parent table.
   */
  parentRange?: RawBuilder<unknown>
  /** Values of a single-column key to count separately among the orphans (sentinels such as 0 or ''). */
  sentinels: Array<string | number>
  /** Few orphans are expected: on PostgreSQL too, one LEFT JOIN pass (with `samples: 'none'`). */
  expectClean?: boolean
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

/**
 * Aggregates over the rows of the pass. `orphan` marks the rows that are orphans; without it every row of the
 * pass is one (the anti-join passes only orphans on).
 */
function orphanAggregatesSql(relation: Relation, options: CountOptions, orphan?: RawBuilder<unknown>): RawBuilder<unknown>[] {
  const key = columnSql(CHILD, relation.child.columns[0] as string)
  const parts = options.sentinels.map((value, i) => {
    const when = orphan ? sql`${orphan} and ${key} = ${value}` : sql`${key} = ${value}`
    return sql`count(case when ${when} then 1 end) as ${sql.id(`sentinel_${i}`)}`
  })
  if (options.sample > 0 && options.samples !== 'none') {
    const keys = keyArraySql(relation, options.samples)
    const ordered = sql.join(relation.child.columns.map((column) => columnSql(CHILD, column)))
    const limit = sql.lit(options.sample)
    if (options.samples === 'postgres') {
      const filter = orphan ? sql` filter (where ${orphan})` : sql``
      parts.push(sql`to_jsonb((array_agg(distinct ${keys} order by ${keys})${filter})[1:${limit}]) as samples`)
    } else {
      const value = orphan ? sql`case when ${orphan} then ${keys} end` : keys
      parts.push(sql`group_concat(distinct ${value} order by ${ordered} separator '\n' limit ${limit}) as samples`)
    }
  }
  return parts
}

function extraColumnsSql(parts: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return sql.join(
    parts.map((part) => sql`, ${part}`),
    sql``,
  )
}

/**
 * One statement, one pass over the child table (or one chunk of it): how many rows the relation covers,
 * how many are orphans, how many orphans hold each sentinel value, and the smallest orphaned keys.
 *
 * On MySQL/MariaDB, with a unique parent key, one LEFT JOIN does it all (a child matches at most one parent,
 * one index lookup per row): the orphans are the rows whose key needs a parent minus the rows that found one,
 * and the per-orphan aggregates test the joined parent column first, which is false for almost every row.
 * Otherwise — and on PostgreSQL unless samples are left to a second statement — the orphans come from the NOT
 * EXISTS anti-join, the plan a hand-written count gets (parallel where the server allows), so the aggregates see
 * only orphans, and a second, plain count reads the rows. A PostgreSQL LEFT JOIN would feed every row to the
 * aggregates, and its in-pass samples (`array_agg(distinct ...)`) cannot be aggregated in parallel, which kept
 * the whole pass on one core while a hand-written count used three. Where few orphans are expected (`expectClean`,
 * samples left to a second statement) the PostgreSQL LEFT JOIN is parallel and reads each row once, not twice.
 */
export function orphanCountSql(relation: Relation, options: CountOptions): RawBuilder<CountRow> {
  const where = options.range ? sql`${childFilterSql(relation)} and ${options.range}` : childFilterSql(relation)
  if (!options.parentUnique || (options.family === 'postgres' && !options.expectClean)) {
    return sql`select
      (select count(*) from ${childFromSql(relation)} where ${where}) as rows_checked, o.*
      from (select count(*) as orphans${extraColumnsSql(orphanAggregatesSql(relation, options))}
        from ${childFromSql(relation)} where ${where} and ${keyNeedsParentSql(relation)} and ${noParentSql(relation, options.parentRange)}) as o`
  }
  const matched = columnSql(PARENT, relation.parent.columns[0] as string)
  const orphan = sql`${matched} is null and ${keyNeedsParentSql(relation)}`
  return sql`select count(*) as rows_checked,
      count(case when ${keyNeedsParentSql(relation)} then 1 end) - count(${matched}) as orphans${extraColumnsSql(
        orphanAggregatesSql(relation, options, orphan),
      )}
    from ${childFromSql(relation)} left join ${tableSql(relation.parent)} as ${sql.id(PARENT)}
      on ${options.parentRange ? sql`${keyMatchesSql(relation)} and ${options.parentRange}` : keyMatchesSql(relation)}
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

/** What `orphanKeysSql` reads: one reference range, and sentinel values to leave out. */
export interface OrphanKeysOptions {
  range: RawBuilder<unknown>
  parentRange?: RawBuilder<unknown>
  keep: Array<string | number>
}

/**
 * The orphaned keys of a single-column relation in one range of its reference column, smallest first, with
 * how many rows hold each (`k`, `n`): the index on the reference column answers it without reading rows.
 */
export function orphanKeysSql(relation: Relation, options: OrphanKeysOptions): RawBuilder<{ k: unknown; n: unknown }> {
  const key = columnSql(CHILD, relation.child.columns[0] as string)
  const keep = options.keep.length > 0 ? sql` and ${key} not in (${sql.join(options.keep.map((value) => sql`${value}`))})` : sql``
  return sql`select ${key} as k, count(*) as n from ${childFromSql(relation)}
    where ${childFilterSql(relation)} and ${options.range} and ${keyNeedsParentSql(relation)} and ${noParentSql(relation, options.parentRange)}${keep}
    group by ${key} order by ${key}`
}
