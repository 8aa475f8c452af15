import { type OperationNode, type RawBuilder, sql } from 'kysely'
import type { KeyTuple } from './keys.js'

/** A SQL fragment, compiled later by the dialect's compiler. */
export type Sql = RawBuilder<unknown>

/** Embeds an existing Kysely operation node (a user's WHERE, a SET value, a join) in a `sql` template. */
export function nodeSql(node: OperationNode): Sql {
  return sql`${{ toOperationNode: () => node }}`
}

/** `a and b and c`, or `1 = 1` for none. */
export function andAll(parts: Sql[]): Sql {
  return parts.length === 0 ? sql`1 = 1` : sql`(${sql.join(parts, sql` and `)})`
}

/** `cols in (tuples)` for one chunk of keys; `castTypes` casts parameters (PostgreSQL). */
export function keyInList(columns: Sql[], tuples: KeyTuple[], castTypes?: (string | undefined)[]): Sql {
  const value = (v: unknown, i: number) => {
    const type = castTypes?.[i]
    return type ? sql`cast(${v} as ${sql.raw(type)})` : sql`${v}`
  }
  if (tuples.length === 0) return sql`1 = 0`
  if (columns.length === 1) return sql`${columns[0]} in (${sql.join(tuples.map((tuple) => value(tuple[0], 0)))})`
  const rows = tuples.map((tuple) => sql`(${sql.join(tuple.map(value))})`)
  return sql`(${sql.join(columns)}) in (${sql.join(rows)})`
}
