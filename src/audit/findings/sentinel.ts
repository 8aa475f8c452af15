import { type ColumnInfo, findColumn } from '../../db/schema-info.js'
import { nullableColumnSql } from '../column-ddl.js'
import { keyTypeOf } from '../column-types.js'
import type { Finding } from '../finding.js'
import type { RelationContext } from '../relation-context.js'
import { identifierFor, literalSql, tableNameFor } from '../sql-names.js'

/** A value becomes a sentinel finding when at least this many orphans share it; a single one is just an orphan. */
export const SENTINEL_MIN_ROWS = 2

/** The values legacy schemas store for "no reference", by the key column's type. MySQL alone stores zero dates. */
export function sentinelCandidates(column: ColumnInfo, family: 'postgres' | 'mysql'): Array<string | number> {
  switch (keyTypeOf(column).kind) {
    case 'integer':
    case 'decimal':
    case 'float':
      return [0, -1]
    case 'string':
      return ['']
    case 'date':
      return family === 'mysql' ? ['0000-00-00'] : []
    case 'datetime':
      return family === 'mysql' ? ['0000-00-00 00:00:00'] : []
    default:
      return []
  }
}

/** The column's default when it is a sentinel value (`DEFAULT 0`, `DEFAULT ''`), else undefined. */
export function sentinelDefault(column: ColumnInfo): string | number | undefined {
  if (column.default === null) return undefined
  const bare = column.default.replace(/::[\w\s]+$/, '').trim()
  const text = /^'.*'$/s.test(bare) ? bare.slice(1, -1).replace(/''/g, "'") : bare
  const numeric = keyTypeOf(column).kind !== 'string'
  if (numeric && /^-?\d+(\.0+)?$/.test(text) && Number(text) <= 0 && Number(text) >= -1) return Number(text)
  if (!numeric && text === '' && /^'/.test(bare)) return ''
  return /^0000-00-00/.test(text) ? text : undefined
}

/** The single key column of a relation, when it has one: sentinels only make sense there. */
export function sentinelColumn(context: Omit<RelationContext, 'family'>): ColumnInfo | undefined {
  const { columns } = context.asWritten.child
  return columns.length === 1 ? findColumn(context.child, columns[0] as string) : undefined
}

/**
 * `sentinel`: orphans that all hold one "no reference" value (0, -1, '', a zero date) in a column that should
 * be nullable. The fix is two steps: let the column hold NULL, then turn the sentinel into NULL.
 */
export function sentinelFindings(
  context: RelationContext,
  counts: Array<{ value: string | number; rows: number }>,
  complete: boolean,
): Finding[] {
  const column = sentinelColumn(context)
  if (!column) return []
  const table = tableNameFor(context.family)(context.asWritten.child)
  const name = identifierFor(context.family)(column.name)
  return counts
    .filter(({ rows }) => rows >= SENTINEL_MIN_ROWS)
    .map(({ value, rows }) => {
      const steps = [
        ...(column.nullable && sentinelDefault(column) === undefined ? [] : [`${nullableColumnSql(context, column)};`]),
        `UPDATE ${table} SET ${name} = NULL WHERE ${name} = ${literalSql(value)};`,
      ]
      return {
        kind: 'sentinel' as const,
        severity: 'error' as const,
        relation: context.asWritten.name,
        column: column.name,
        value,
        count: rows,
        message: `relation "${context.asWritten.name}": ${complete ? '' : 'at least '}${rows} rows of ${context.child.name} have ${column.name} = ${literalSql(value)}, which no ${context.parent.name} row has: a missing value stored as a fake key, not a broken reference`,
        fix: steps.join('\n'),
      }
    })
}
