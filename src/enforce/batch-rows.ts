import { sql } from 'kysely'
import type { Relation } from '../model/relation.js'
import type { EnforcementContext } from './context.js'
import { UnguardedWriteError } from './errors.js'
import { keyInList, type Sql } from './sql-parts.js'

/** The columns that identify a child row: its primary key, or PostgreSQL's ctid (stable while the batch holds the row lock). */
export function identityOf(context: EnforcementContext, relation: Relation): string[] {
  const identity = context.facts.of(relation.child)?.identity ?? []
  if (identity.length > 0) return identity
  if (context.runner.family === 'postgres') return ['ctid']
  throw new UnguardedWriteError(`relation "${relation.name}" is queued, but ${relation.child.table} has no primary key to batch by`)
}

/**
 * `identity in (rows)` for the rows of a batch, over the alias the generated statements use; on PostgreSQL a
 * one-column identity goes as one array parameter (planning a thousand parameters costs more than the delete).
 */
export function onlyRows(context: EnforcementContext, relation: Relation, identity: string[], rows: Array<{ identity: unknown[] }>): Sql {
  const alias = relation.child.table
  const types =
    context.runner.family === 'postgres'
      ? identity.map((column) => (column === 'ctid' ? 'tid' : context.facts.columnType(relation.child, column)))
      : undefined
  const [column] = identity
  const [type] = types ?? []
  if (identity.length === 1 && column && type) {
    return sql`${sql.id(alias, column)} = any(cast(${rows.map((row) => row.identity[0])} as ${sql.raw(`${type}[]`)}))`
  }
  return keyInList(
    identity.map((column) => sql.id(alias, column)),
    rows.map((row) => row.identity),
    types,
  )
}
