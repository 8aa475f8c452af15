import { type ResolvedConfig, softDeleteTable } from '../config/normalize.js'
import { findColumn, findTable, type SchemaInfo } from '../db/schema-info.js'
import type { TableRef } from '../model/relation.js'
import type { SoftDeleteColumn } from './context.js'

/** `softDelete` names tables of the default database (scheduled mode works inside one database): none elsewhere. */
export function softDeleteOf(config: ResolvedConfig, home: string): Pick<ResolvedConfig, 'softDelete'> {
  return home === config.defaultDatabase ? config : { softDelete: {} }
}

/** Whether a soft-delete column of this type is a boolean flag (rather than a nullable timestamp). */
export function isFlag(type: string): boolean {
  return type === 'boolean' || type === 'tinyint(1)'
}

/** Finds the soft-delete column of a table of `schema`, if the config marks its rows deleted. */
export function softDeleteLookup(
  config: Pick<ResolvedConfig, 'softDelete'>,
  schema: SchemaInfo,
): (table: TableRef) => SoftDeleteColumn | undefined {
  const entries = Object.entries(config.softDelete).map(([name, { column, keepParent }]) => {
    const ref = softDeleteTable(name)
    const info = findTable(schema, ref)
    const type = info ? findColumn(info, column)?.type : undefined
    return { schema: ref.schema ?? schema.defaultSchema, table: ref.table, column, flag: type !== undefined && isFlag(type), keepParent }
  })
  return (table) => {
    const entry = entries.find(
      (candidate) => candidate.table === table.table && candidate.schema === (table.schema ?? schema.defaultSchema),
    )
    return entry ? { column: entry.column, flag: entry.flag, keepParent: entry.keepParent } : undefined
  }
}
