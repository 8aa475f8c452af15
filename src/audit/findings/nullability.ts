import { type ColumnInfo, findColumn } from '../../db/schema-info.js'
import type { ReferentialAction } from '../../model/relation.js'
import type { Finding } from '../finding.js'
import { nullableColumnSql } from '../column-ddl.js'
import type { RelationContext } from '../relation-context.js'

function actionColumns(context: Omit<RelationContext, 'family'>, action: ReferentialAction): ColumnInfo[] {
  const { asWritten } = context
  const deleteSets = asWritten.onDelete === action ? (asWritten.onDeleteSetColumns ?? asWritten.child.columns) : []
  const updateSets = asWritten.onUpdate === action ? asWritten.child.columns : []
  return [...new Set([...deleteSets, ...updateSets])]
    .map((name) => findColumn(context.child, name))
    .filter((column): column is ColumnInfo => column !== undefined)
}

/**
 * `nullability` problems the schema alone shows: SET NULL on a NOT NULL column, and SET DEFAULT on a NOT NULL
 * column without a default (either way every delete or key change of a referenced parent would fail).
 */
export function actionNullabilityFindings(context: Omit<RelationContext, 'family'>): Finding[] {
  const { asWritten, child } = context
  const setNull = actionColumns(context, 'set null')
    .filter((column) => !column.nullable)
    .map((column) => ({
      kind: 'nullability' as const,
      severity: 'error' as const,
      relation: asWritten.name,
      column: column.name,
      message: `relation "${asWritten.name}": SET NULL on NOT NULL column ${child.name}.${column.name}: every delete of a referenced parent would fail`,
      fix: `make ${child.name}.${column.name} nullable, or choose another action for relation "${asWritten.name}"`,
    }))
  const setDefault = actionColumns(context, 'set default')
    .filter((column) => !column.nullable && column.default === null)
    .map((column) => ({
      kind: 'nullability' as const,
      severity: 'error' as const,
      relation: asWritten.name,
      column: column.name,
      message: `relation "${asWritten.name}": SET DEFAULT on NOT NULL column ${child.name}.${column.name}, which has no default: every delete of a referenced parent would fail`,
      fix: `give ${child.name}.${column.name} a default that exists in ${context.parent.name}, or choose another action for relation "${asWritten.name}"`,
    }))
  return [...setNull, ...setDefault]
}

/**
 * `nullability`: a NOT NULL child column whose default is a sentinel (0, -1, '') that no parent holds: the
 * relation is optional, but the column cannot say "none" except with a value that references nothing.
 */
export function optionalNotNullFindings(context: RelationContext, sentinelDefault: string | number): Finding[] {
  const { asWritten } = context
  const column = findColumn(context.child, asWritten.child.columns[0] as string) as ColumnInfo
  return [
    {
      kind: 'nullability',
      severity: 'warning',
      relation: asWritten.name,
      column: column.name,
      message: `relation "${asWritten.name}": ${context.child.name}.${column.name} is NOT NULL with DEFAULT ${JSON.stringify(sentinelDefault)}, which no ${context.parent.name} row has: an optional reference stored as a fake key`,
      fix: nullableColumnSql(context, column),
    },
  ]
}
