import { type RawBuilder, sql } from 'kysely'
import type { TableRef } from '../model/relation.js'

/** A quoted, optionally schema-qualified table name: identifiers are always quoted, never concatenated. */
export function tableSql(ref: Pick<TableRef, 'schema' | 'table'>): RawBuilder<unknown> {
  return ref.schema ? sql.id(ref.schema, ref.table) : sql.id(ref.table)
}

/** A quoted `alias.column` reference. */
export function columnSql(alias: string, column: string): RawBuilder<unknown> {
  return sql.id(alias, column)
}
