import { sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'
import type { EnforcementContext } from './context.js'
import type { ViolatingAction } from './errors.js'
import { chunks, type KeyTuple } from './keys.js'
import { missingParentError, stillReferencedError } from './messages.js'
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

/** The condition that a parent row (aliased `alias`) counts as present: not soft-deleted. */
function presentSql(context: EnforcementContext, relation: Relation, alias: string): Sql {
  const soft = context.softDelete(relation.parent)
  if (!soft) return sql`1 = 1`
  const column = sql.id(alias, soft.column)
  return soft.flag ? sql`not ${column}` : sql`${column} is null`
}

/** Types to cast key parameters to, so PostgreSQL compares values as the columns' own types. */
function castTypes(context: EnforcementContext, relation: Relation, side: 'child' | 'parent'): (string | undefined)[] | undefined {
  if (context.runner.family !== 'postgres') return undefined
  return relation[side].columns.map((column) => context.facts.columnType(relation[side], column))
}

/** A derived table `(index, key columns...)` holding the keys to look up. */
function keysTable(context: EnforcementContext, relation: Relation, keys: KeyTuple[]): Sql {
  const types = castTypes(context, relation, 'parent')
  const value = (v: unknown, i: number) => (types?.[i] ? sql`cast(${v} as ${sql.raw(types[i] as string)})` : sql`${v}`)
  const names = relation.parent.columns.map((_, i) => sql.id(`k${i}`))
  const rows = keys.map(
    (tuple, index) => sql`select ${sql.lit(index)} as ${sql.id('i')}, ${sql.join(tuple.map((v, i) => sql`${value(v, i)} as ${names[i]}`))}`,
  )
  return sql`(${sql.join(rows, sql` union all `)})`
}

/**
 * Verifies that every key has a present parent, locking the parents (FOR KEY SHARE / LOCK IN SHARE MODE)
 * so that no concurrent transaction can delete them before this one ends. Throws on the first missing key.
 */
export async function checkParentsExist(
  context: EnforcementContext,
  relation: Relation,
  keys: KeyTuple[],
  action: ViolatingAction,
): Promise<void> {
  const { runner } = context
  const parent = columnRefs('p', relation.parent.columns)
  for (const chunk of chunks(keys, CHUNK)) {
    const k = keysTable(context, relation, chunk)
    const matches = andAll(relation.parent.columns.map((column, i) => sql`${sql.id('p', column)} = ${sql.id('k', `k${i}`)}`))
    let missing: Array<{ i: unknown }>
    if (runner.family === 'postgres') {
      const locked = sql`select ${sql.join(parent)} from ${tableSql(relation.parent)} as ${sql.id('p')}
        where ${keyInList(parent, chunk, castTypes(context, relation, 'parent'))} and ${presentSql(context, relation, 'p')} for key share`
      const lockedMatches = andAll(relation.parent.columns.map((column, i) => sql`${sql.id('l', column)} = ${sql.id('k', `k${i}`)}`))
      const result = await runner.run<{ i: unknown }>(
        sql`with ${sql.id('l')} as (${locked}) select ${sql.id('k', 'i')} from ${k} as ${sql.id('k')}
          where not exists (select 1 from ${sql.id('l')} where ${lockedMatches}) order by 1`,
      )
      missing = result.rows
    } else {
      const result = await runner.run<{ i: unknown; found: unknown }>(
        sql`select ${sql.id('k', 'i')}, ${sql.id('p', relation.parent.columns[0] as string)} as ${sql.id('found')}
          from ${k} as ${sql.id('k')} left join ${tableSql(relation.parent)} as ${sql.id('p')}
          on ${matches} and ${presentSql(context, relation, 'p')} order by 1 lock in share mode`,
      )
      missing = result.rows.filter((row) => row.found === null)
    }
    const first = missing[0]
    if (first) throw missingParentError(relation, chunk[Number(first.i)] as KeyTuple, action)
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
        where ${childFilter(relation, 'c')} and ${keyInList(child, chunk, castTypes(context, relation, 'child'))} ${gone} limit 1${lock}`,
    )
    const row = result.rows[0]
    if (row) throw stillReferencedError(relation, Object.values(row), options.action)
  }
}

/** The keys no present parent row holds any more, as this transaction sees the parent table. */
export async function absentKeys(context: EnforcementContext, relation: Relation, keys: KeyTuple[]): Promise<KeyTuple[]> {
  const absent: KeyTuple[] = []
  for (const chunk of chunks(keys, CHUNK)) {
    const matches = andAll(relation.parent.columns.map((column, i) => sql`${sql.id('p', column)} = ${sql.id('k', `k${i}`)}`))
    const result = await context.runner.run<{ i: unknown }>(
      sql`select ${sql.id('k', 'i')} from ${keysTable(context, relation, chunk)} as ${sql.id('k')}
        where not exists (select 1 from ${tableSql(relation.parent)} as ${sql.id('p')} where ${matches} and ${presentSql(context, relation, 'p')})`,
    )
    for (const row of result.rows) absent.push(chunk[Number(row.i)] as KeyTuple)
  }
  return absent
}
