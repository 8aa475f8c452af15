import { sql } from 'kysely'
import type { EnforcementContext } from './context.js'
import { andAll, type Sql } from './sql-parts.js'
import type { WriteSpec } from './write-spec.js'

/** One row a write will change: its identity and, per column asked for, the value before and after. */
export interface PreimageRow {
  identity: unknown[]
  /** The row version's ctid, when asked for (PostgreSQL). */
  rowId?: string
  before: Map<string, unknown>
  after: Map<string, unknown>
}

/** The identity columns of the target: its primary key, or PostgreSQL's `ctid` when it has none. */
export function identityColumns(context: EnforcementContext, spec: WriteSpec): string[] {
  const identity = context.facts.of(spec.target)?.identity ?? []
  if (identity.length > 0) return identity
  return context.runner.family === 'postgres' ? ['ctid'] : []
}

/**
 * Reads and locks (FOR UPDATE) the rows a write is about to change, with the old value and the new
 * value (the SET expression evaluated on the same row) of each column in `columns`. Computing the new
 * values in the same locking read gives every row's before/after pair on every engine, RETURNING or not.
 */
export async function readPreimage(
  context: EnforcementContext,
  spec: WriteSpec,
  columns: string[],
  identity: string[],
  withRowId = false,
): Promise<PreimageRow[]> {
  const { runner } = context
  const alias = spec.target.alias
  const cast = (expression: Sql, column: string): Sql => {
    const type = runner.family === 'postgres' ? context.facts.columnType(spec.target, column) : undefined
    return type ? sql`cast(${expression} as ${sql.raw(type)})` : expression
  }
  const selections = [
    ...(withRowId ? [sql`${sql.id(alias, 'ctid')}::text as ${sql.id('rid')}`] : []),
    ...identity.map((column, i) => sql`${sql.id(alias, column)} as ${sql.id(`i${i}`)}`),
    ...columns.map((column, i) => sql`${sql.id(alias, column)} as ${sql.id(`o${i}`)}`),
    ...columns.map((column, i) => {
      const assigned = spec.assignments.get(column)
      return sql`${assigned ? cast(assigned, column) : sql.id(alias, column)} as ${sql.id(`n${i}`)}`
    }),
  ]
  const lock = runner.family === 'postgres' && spec.multiTable ? sql`for update of ${sql.id(alias)}` : sql`for update`
  const result = await runner.run<Record<string, unknown>>(
    sql`select ${sql.join(selections)} from ${spec.source} where ${spec.where ?? andAll([])} ${spec.tail ?? sql``} ${lock}`,
  )
  return result.rows.map((row) => ({
    identity: identity.map((_, i) => row[`i${i}`]),
    ...(withRowId ? { rowId: row.rid as string } : {}),
    before: new Map(columns.map((column, i) => [column, row[`o${i}`]])),
    after: new Map(columns.map((column, i) => [column, row[`n${i}`]])),
  }))
}
