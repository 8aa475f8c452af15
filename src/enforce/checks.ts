import { sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'
import type { EnforcementContext, SoftDeleteColumn } from './context.js'
import type { ViolatingAction } from './errors.js'
import { chunks, type KeyTuple } from './keys.js'
import { matchFullError, missingParentError, stillReferencedError } from './messages.js'
import { andAll, keyInList, type Sql } from './sql-parts.js'

const CHUNK = 1000

/** `alias.column` references for one side of a relation. */
export function columnRefs(alias: string, columns: string[]): Sql[] {
  return columns.map((column) => sql.id(alias, column))
}

/** The child-side polymorphic filter for rows aliased `alias`. */
export function childFilter(relation: Relation, alias: string): Sql {
  return andAll(
    Object.entries(relation.child.where ?? {}).map(([column, value]) =>
      value === null ? sql`${sql.id(alias, column)} is null` : sql`${sql.id(alias, column)} = ${value}`,
    ),
  )
}

/** The condition that a row is not soft-deleted yet; a NULL flag counts as not deleted. */
export function notSoftDeleted(soft: SoftDeleteColumn, alias: string): Sql {
  const column = sql.id(alias, soft.column)
  return soft.flag ? sql`${column} is not true` : sql`${column} is null`
}

/** The condition that a parent row (aliased `alias`) counts as present: not soft-deleted. */
export function presentSql(context: EnforcementContext, relation: Relation, alias: string): Sql {
  const soft = context.softDelete(relation.parent)
  return soft ? notSoftDeleted(soft, alias) : sql`1 = 1`
}

/** Types to cast key parameters to, so PostgreSQL compares values as the columns' own types. */
export function castTypes(context: EnforcementContext, relation: Relation, side: 'child' | 'parent'): (string | undefined)[] | undefined {
  if (context.runner.family !== 'postgres') return undefined
  return relation[side].columns.map((column) => context.facts.columnType(relation[side], column))
}

/** The key columns' types when every one is known, for array parameters on PostgreSQL. */
function arrayTypes(context: EnforcementContext, relation: Relation, side: 'child' | 'parent'): string[] | undefined {
  const types = castTypes(context, relation, side)
  return types?.every((type): type is string => type !== undefined) ? types : undefined
}

/** The type of a one-column parent key on PostgreSQL (`integer`), when its column's type is known. */
export function singleKeyType(context: EnforcementContext, relation: Relation): string | undefined {
  const types = arrayTypes(context, relation, 'parent')
  return types?.length === 1 ? types[0] : undefined
}

/** One array parameter per key column: `cast($1 as integer[]), cast($2 as text[])`. */
export function columnArrays(keys: KeyTuple[], types: string[]): Sql[] {
  return types.map((type, i) => sql`cast(${keys.map((tuple) => tuple[i])} as ${sql.raw(`${type}[]`)})`)
}

/**
 * `cols in (keys)`: on PostgreSQL with one array parameter per column (planning a list of a thousand
 * literals costs more than running it), elsewhere as a list of tuples.
 */
export function keyMatch(context: EnforcementContext, relation: Relation, side: 'child' | 'parent', refs: Sql[], keys: KeyTuple[]): Sql {
  const types = arrayTypes(context, relation, side)
  if (!types || keys.length === 1) return keyInList(refs, keys, castTypes(context, relation, side))
  const arrays = columnArrays(keys, types)
  if (refs.length === 1) return sql`${refs[0]} = any(${arrays[0]})`
  return sql`(${sql.join(refs)}) in (select * from unnest(${sql.join(arrays)}))`
}

/**
 * `child = any(array(the keys no present parent holds))` for a one-column key on PostgreSQL: the parent is looked up
 * once per key rather than once per child row, and the child's index is searched for just those keys. The keys are
 * a list, or an expression of the parent key's array type (see `singleKeyType`). Undefined where that form does not
 * apply (then the caller checks the parent per row).
 */
export function childOfAbsentKeys(context: EnforcementContext, relation: Relation, child: Sql, keys: KeyTuple[] | Sql): Sql | undefined {
  const types = arrayTypes(context, relation, 'parent')
  const [parent] = relation.parent.columns
  if (!types || relation.parent.columns.length !== 1 || parent === undefined) return undefined
  const [keyArray] = Array.isArray(keys) ? columnArrays(keys, types) : [keys]
  return sql`${child} = any(array(select ${sql.id('u', 'k')} from unnest(${keyArray}) as ${sql.id('u')}(${sql.id('k')})
    where not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id('p')}
      where ${sql.id('p', parent)} = ${sql.id('u', 'k')} and ${presentSql(context, relation, 'p')})))`
}

/** A derived table `(i, k0, k1...)` holding the keys to look up, `i` being each key's position. */
function keysTable(context: EnforcementContext, relation: Relation, keys: KeyTuple[]): Sql {
  const names = relation.parent.columns.map((_, i) => sql.id(`k${i}`))
  const types = arrayTypes(context, relation, 'parent')
  if (types) {
    return sql`(select ${sql.id('i')} - 1 as ${sql.id('i')}, ${sql.join(names)}
      from unnest(${sql.join(columnArrays(keys, types))}) with ordinality as ${sql.id('u')}(${sql.join(names)}, ${sql.id('i')}))`
  }
  const rows = keys.map(
    (tuple, index) => sql`select ${sql.lit(index)} as ${sql.id('i')}, ${sql.join(tuple.map((v, i) => sql`${v} as ${names[i]}`))}`,
  )
  return sql`(${sql.join(rows, sql` union all `)})`
}

/**
 * Positions (in `keys` order) of the keys that no present parent row holds, at most `limit` of them.
 * On MySQL-family engines a LEFT JOIN locking read: a plain read would use the transaction's snapshot
 * at REPEATABLE READ and could still see a parent deleted since.
 */
async function missingPositions(
  context: EnforcementContext,
  relation: Relation,
  keys: KeyTuple[],
  options: { limit?: number; heldByChild?: boolean } = {},
): Promise<number[]> {
  const matches = andAll(relation.parent.columns.map((column, i) => sql`${sql.id('p', column)} = ${sql.id('k', `k${i}`)}`))
  const keysAs = sql`${keysTable(context, relation, keys)} as ${sql.id('k')}`
  const present = presentSql(context, relation, 'p')
  const limitSql = options.limit === undefined ? sql`` : sql`limit ${sql.lit(options.limit)}`
  const held = andAll(relation.child.columns.map((column, i) => sql`${sql.id('c', column)} = ${sql.id('k', `k${i}`)}`))
  // A row that was given this key and then deleted by a later cascade of the same statement needs no parent.
  const stillHeld = options.heldByChild
    ? sql`and exists (select 1 from ${tableSql(relation.child)} as ${sql.id('c')} where ${held} and ${childFilter(relation, 'c')})`
    : sql``
  const query =
    context.runner.family === 'postgres'
      ? sql`select ${sql.id('k', 'i')} from ${keysAs}
          where not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id('p')} where ${matches} and ${present}) ${stillHeld}
          order by 1 ${limitSql}`
      : sql`select ${sql.id('k', 'i')} from ${keysAs} left join ${tableSql(relation.parent)} as ${sql.id('p')} on ${matches} and ${present}
          where ${sql.id('p', relation.parent.columns[0] as string)} is null ${stillHeld} order by 1 ${limitSql} lock in share mode`
  const result = await context.runner.run<{ i: unknown }>(query)
  return result.rows.map((row) => Number(row.i))
}

/** Reads and share-locks the present parents of `keys` (FOR KEY SHARE / LOCK IN SHARE MODE): one row per key found. */
export function lockParentsSql(context: EnforcementContext, relation: Relation, keys: KeyTuple[]): Sql {
  const parent = columnRefs('p', relation.parent.columns)
  const lock = context.runner.family === 'postgres' ? sql`for key share` : sql`lock in share mode`
  return sql`select 1 as ${sql.id('found')} from ${tableSql(relation.parent)} as ${sql.id('p')}
    where ${keyMatch(context, relation, 'parent', parent, keys)} and ${presentSql(context, relation, 'p')} ${lock}`
}

/**
 * Verifies that every key has a present parent, locking the parents (FOR KEY SHARE / LOCK IN SHARE MODE)
 * so that no concurrent transaction can delete them before this one ends. One statement when all are
 * there: the parent key is unique, so as many locked rows as distinct keys means every key was found.
 * Otherwise a second statement names the first missing key.
 */
export async function checkParentsExist(
  context: EnforcementContext,
  relation: Relation,
  keys: KeyTuple[],
  action: ViolatingAction,
): Promise<void> {
  if (context.remoteParents && relation.parent.database !== relation.child.database) {
    return context.remoteParents.check(context.runner.transaction, relation, keys, action)
  }
  for (const chunk of chunks(keys, CHUNK)) {
    const locked = await context.runner.run(lockParentsSql(context, relation, chunk))
    if (locked.rows.length === chunk.length) continue
    const [missing] = await missingPositions(context, relation, chunk, { limit: 1, heldByChild: true })
    if (missing !== undefined) throw missingParentError(relation, chunk[missing] as KeyTuple, action)
  }
}

/**
 * Throws if a child row still references one of `keys` (RESTRICT), or one of `keys` that no
 * parent row holds any more (NO ACTION, `exceptStillPresent`). On MySQL-family engines the read
 * locks what it reads, so it sees the latest committed children, as InnoDB's own check does.
 */
export async function checkNotReferenced(
  context: EnforcementContext,
  relation: Relation,
  keys: KeyTuple[],
  options: { exceptStillPresent: boolean; action: ViolatingAction },
): Promise<void> {
  const { runner } = context
  const child = columnRefs('c', relation.child.columns)
  const stillPresent = andAll(relation.parent.columns.map((column, i) => sql`${sql.id('p', column)} = ${child[i]}`))
  for (const chunk of chunks(keys, CHUNK)) {
    const gone = options.exceptStillPresent
      ? sql`and not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id('p')} where ${stillPresent} and ${presentSql(context, relation, 'p')})`
      : sql``
    const lock = runner.family === 'mysql' ? sql` lock in share mode` : sql``
    const result = await runner.run<Record<string, unknown>>(
      sql`select ${sql.join(child)} from ${tableSql(relation.child)} as ${sql.id('c')}
        where ${childFilter(relation, 'c')} and ${keyMatch(context, relation, 'child', child, chunk)} ${gone} limit 1${lock}`,
    )
    const row = result.rows[0]
    if (row) throw stillReferencedError(relation, Object.values(row), options.action)
  }
}

/** The keys no present parent row holds any more, as this transaction sees the parent table. */
export async function absentKeys(context: EnforcementContext, relation: Relation, keys: KeyTuple[]): Promise<KeyTuple[]> {
  const absent: KeyTuple[] = []
  for (const chunk of chunks(keys, CHUNK)) {
    for (const position of await missingPositions(context, relation, chunk)) absent.push(chunk[position] as KeyTuple)
  }
  return absent
}

/** Throws if a row still holds one of these MATCH FULL keys that mix NULL and non-NULL values. */
export async function checkMixedKeysGone(
  context: EnforcementContext,
  relation: Relation,
  keys: KeyTuple[],
  action: ViolatingAction,
): Promise<void> {
  const same = context.runner.family === 'postgres' ? sql`is not distinct from` : sql`<=>`
  for (const key of keys) {
    const held = andAll(relation.child.columns.map((column, i) => sql`${sql.id('c', column)} ${same} ${key[i]}`))
    const result = await context.runner.run(
      sql`select 1 as ${sql.id('held')} from ${tableSql(relation.child)} as ${sql.id('c')} where ${held} and ${childFilter(relation, 'c')} limit 1`,
    )
    if (result.rows.length > 0) throw matchFullError(relation, key, action)
  }
}
