import { type RawBuilder, sql } from 'kysely'
import { childFilterSql } from '../audit/orphan-query.js'
import { columnSql, tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'
import type { ColumnCodec } from './key-codec.js'

/** The alias of the child table in every cross-database statement (the parent table's is `p`). */
export const CHILD = 'c'
const PARENT = 'p'

type Family = 'postgres' | 'mysql'

/** A parameter the driver takes: node-postgres cannot send a bigint, mysql2 can (and must, past 2^53). */
function paramOf(value: unknown, family: Family): unknown {
  return typeof value === 'bigint' && family === 'postgres' ? value.toString() : value
}

function refs(alias: string, columns: string[]): RawBuilder<unknown>[] {
  return columns.map((column) => columnSql(alias, column))
}

/**
 * `(a, b) > (x, y)` (or `>=`, `<=`) on `alias`, spelled out as ORs for MySQL/MariaDB, whose optimizer does not
 * use an index for row comparisons.
 */
function tupleCompareSql(alias: string, columns: string[], values: unknown[], op: '>' | '>=' | '<=', family: Family): RawBuilder<unknown> {
  const left = refs(alias, columns)
  const right = values.map((value) => sql`${paramOf(value, family)}`)
  if (columns.length === 1) return sql`${left[0]} ${sql.raw(op)} ${right[0]}`
  if (family === 'postgres') return sql`(${sql.join(left)}) ${sql.raw(op)} (${sql.join(right)})`
  const strict = sql.raw(op === '<=' ? '<' : '>')
  const alternatives = columns.map((_, i) => {
    const equal = left.slice(0, i).map((ref, j) => sql`${ref} = ${right[j]}`)
    const last = i === columns.length - 1 && op !== '>' ? sql`${left[i]} ${sql.raw(op)} ${right[i]}` : sql`${left[i]} ${strict} ${right[i]}`
    return sql`(${sql.join([...equal, last], sql` and `)})`
  })
  return sql`(${sql.join(alternatives, sql` or `)})`
}

function allNotNull(alias: string, columns: string[]): RawBuilder<unknown> {
  return sql.join(
    refs(alias, columns).map((ref) => sql`${ref} is not null`),
    sql` and `,
  )
}

function allNull(columns: string[]): RawBuilder<unknown> {
  return sql.join(
    refs(CHILD, columns).map((ref) => sql`${ref} is null`),
    sql` and `,
  )
}

/** Child rows whose key has no NULL, after the relation's filter, and after `after` (a condition) when given. */
function childKeyedSql(relation: Relation, conditions: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return sql.join([childFilterSql(relation), allNotNull(CHILD, relation.child.columns), ...conditions], sql` and `)
}

/** `from child as c`. */
function childFrom(relation: Relation): RawBuilder<unknown> {
  return sql`${tableSql(relation.child)} as ${sql.id(CHILD)}`
}

/** The columns the child key is returned as: `k0, k1, ...`, whatever the columns are called. */
export function keyAlias(i: number): string {
  return `k${i}`
}

/** `k0 as "k0", k1 as "k1"`: key columns under the aliases every page reads them by. */
function namedKeys(keys: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return sql.join(keys.map((ref, i) => sql`${ref} as ${sql.id(keyAlias(i))}`))
}

/** The child's key columns, their selection, and the condition for keyed rows after `after` in index order. */
function childKeysAfter(relation: Relation, after: unknown[] | undefined, family: Family) {
  const columns = relation.child.columns
  const keys = refs(CHILD, columns)
  const past = after ? [tupleCompareSql(CHILD, columns, after, '>', family)] : []
  return { keys, named: namedKeys(keys), keyed: childKeyedSql(relation, past) }
}

/**
 * Merge join, child side: the next `limit` distinct keys after `after` in index order, with how many rows hold
 * each. Grouping on the indexed key streams: the database reads the index in order and stops after `limit` keys.
 */
export function childKeyPageSql(
  relation: Relation,
  after: unknown[] | undefined,
  limit: number,
  family: Family,
): RawBuilder<Record<string, unknown>> {
  const { keys, named, keyed } = childKeysAfter(relation, after, family)
  return sql`select ${named}, count(*) as n from ${childFrom(relation)} where ${keyed}
    group by ${sql.join(keys)} order by ${sql.join(keys)} limit ${sql.lit(limit)}`
}

/** Probe join, child side: the key of the `rows`-th keyed child row after `after`, in the child's own index order; none past the end. */
export function childBoundarySql(
  relation: Relation,
  after: unknown[] | undefined,
  rows: number,
  family: Family,
): RawBuilder<Record<string, unknown>> {
  const { keys, named, keyed } = childKeysAfter(relation, after, family)
  return sql`select ${named} from ${childFrom(relation)} where ${keyed}
    order by ${sql.join(keys)} limit 1 offset ${sql.lit(rows - 1)}`
}

/**
 * Probe join, child side: the keys in `(after, upTo]` of the child's own order, grouped by their exact value.
 * A case-insensitive (or PAD SPACE) collation puts 'a', 'A' and 'a ' in one place of the order; grouping by the
 * bytes keeps them apart, because refguard compares text exactly. The range holds whole ties of the order, so
 * pages never overlap.
 */
export function childRangeSql(
  relation: Relation,
  textColumns: boolean[],
  range: { after: unknown[] | undefined; upTo: unknown[] | undefined },
  family: Family,
): RawBuilder<Record<string, unknown>> {
  const columns = relation.child.columns
  const conditions = [
    ...(range.after ? [tupleCompareSql(CHILD, columns, range.after, '>', family)] : []),
    ...(range.upTo ? [tupleCompareSql(CHILD, columns, range.upTo, '<=', family)] : []),
  ]
  const selected = columns.map((column, i) => {
    const ref = columnSql(CHILD, column)
    return textColumns[i] ? sql`min(${ref}) as ${sql.id(keyAlias(i))}` : sql`${ref} as ${sql.id(keyAlias(i))}`
  })
  const grouped = columns.map((column, i) => {
    const ref = columnSql(CHILD, column)
    if (!textColumns[i]) return ref
    return family === 'postgres' ? sql`${ref} collate "C"` : sql`cast(${ref} as binary)`
  })
  return sql`select ${sql.join(selected)}, count(*) as n from ${childFrom(relation)} where ${childKeyedSql(relation, conditions)}
    group by ${sql.join(grouped)}`
}

/** Rows the relation covers whose key holds a NULL (no parent needed), and, for MATCH FULL, those mixing NULL and non-NULL (orphans). */
export function childNullKeysSql(relation: Relation): RawBuilder<{ n: unknown; mixed: unknown }> {
  const columns = relation.child.columns
  const mixed = relation.match === 'full' && columns.length > 1 ? sql`count(case when not (${allNull(columns)}) then 1 end)` : sql`0`
  return sql`select count(*) as n, ${mixed} as mixed from ${childFrom(relation)}
    where ${childFilterSql(relation)} and not (${allNotNull(CHILD, columns)})`
}

/** MATCH FULL: up to `limit` keys mixing NULL and non-NULL values, smallest first. */
export function childMixedKeysSql(relation: Relation, limit: number): RawBuilder<Record<string, unknown>> {
  const keys = refs(CHILD, relation.child.columns)
  const named = namedKeys(keys)
  return sql`select ${named} from ${childFrom(relation)}
    where ${childFilterSql(relation)} and not (${allNotNull(CHILD, relation.child.columns)}) and not (${allNull(relation.child.columns)})
    group by ${sql.join(keys)} order by ${sql.join(keys)} limit ${sql.lit(limit)}`
}

/** Merge join, parent side: the next `limit` parent keys from `from` on (`>=`, a seek) or after it (`>`), in index order. */
export function parentKeyPageSql(
  relation: Relation,
  from: { key: unknown[]; inclusive: boolean } | undefined,
  limit: number,
  family: Family,
): RawBuilder<Record<string, unknown>> {
  const columns = relation.parent.columns
  const keys = refs(PARENT, columns)
  const named = namedKeys(keys)
  const conditions = [
    allNotNull(PARENT, columns),
    ...(from ? [tupleCompareSql(PARENT, columns, from.key, from.inclusive ? '>=' : '>', family)] : []),
  ]
  return sql`select ${named} from ${tableSql(relation.parent)} as ${sql.id(PARENT)} where ${sql.join(conditions, sql` and `)}
    order by ${sql.join(keys)} limit ${sql.lit(limit)}`
}

/**
 * Probe join, parent side: which of `keys` (each a tuple of probe values) the parent holds. PostgreSQL takes
 * one array parameter per column (one value to bind and plan instead of thousands); MySQL a list of tuples.
 * `lock` share-locks the rows found (FOR KEY SHARE / LOCK IN SHARE MODE), for a child write's parent check.
 */
export function parentProbeSql(
  relation: Relation,
  codecs: ColumnCodec[],
  keys: unknown[][],
  family: Family,
  lock = false,
): RawBuilder<Record<string, unknown>> {
  const columns = relation.parent.columns
  const parent = refs(PARENT, columns)
  const named = sql.join(parent.map((ref, i) => sql`${ref} as ${sql.id(keyAlias(i))}`))
  const from = sql`${tableSql(relation.parent)} as ${sql.id(PARENT)}`
  if (family === 'postgres') {
    const arrays = codecs.map((codec, i) => sql`cast(${keys.map((key) => paramOf(key[i], family))} as ${sql.raw(`${codec.probeType}[]`)})`)
    const match =
      columns.length === 1
        ? sql`${parent[0]} = any(${arrays[0]})`
        : sql`(${sql.join(parent)}) in (select * from unnest(${sql.join(arrays)}))`
    return sql`select ${named} from ${from} where ${match}${lock ? sql` for key share` : sql``}`
  }
  const tuples = keys.map((key) => (key.length === 1 ? sql`${key[0]}` : sql`(${sql.join(key.map((value) => sql`${value}`))})`))
  const left = columns.length === 1 ? parent[0] : sql`(${sql.join(parent)})`
  return sql`select ${named} from ${from} where ${left} in (${sql.join(tuples)})${lock ? sql` lock in share mode` : sql``}`
}
