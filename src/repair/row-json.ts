import { type RawBuilder, sql } from 'kysely'
import { columnSql, tableSql } from '../db/identifiers.js'
import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import { keyTypeOf } from '../audit/column-types.js'

/**
 * A whole row as JSON text, made by the database itself so nothing passes through JavaScript numbers or
 * dates: PostgreSQL `row_to_json` keeps numerics, microseconds and time zones, bytea as `\x…`, json text as
 * written (jsonb would reorder it); MySQL/MariaDB
 * `json_object` keeps decimals and fractional seconds, with binary columns in base64.
 */
export function rowJsonSql(table: TableInfo, alias: string, family: 'postgres' | 'mysql'): RawBuilder<string> {
  if (family === 'postgres') return sql`row_to_json(${sql.id(alias)})::text`
  const pairs = table.columns.map((column) => {
    const value = keyTypeOf(column).kind === 'binary' ? sql`to_base64(${columnSql(alias, column.name)})` : columnSql(alias, column.name)
    return sql`${column.name}, ${value}`
  })
  return sql`json_object(${sql.join(pairs)})`
}

/** One column's value out of a MySQL JSON document `document`: JSON null is SQL NULL, base64 back to binary. */
function mysqlValueSql(document: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown> {
  const path = `$."${column.name.replace(/"/g, '\\"')}"`
  const raw = sql`json_extract(${document}, ${path})`
  const text = sql`json_unquote(${raw})`
  const value = keyTypeOf(column).kind === 'binary' ? sql`from_base64(${text})` : text
  return sql`case when json_type(${raw}) = 'NULL' then null else ${value} end`
}

/**
 * `select <columns>` read back out of archived JSON text (a parameter): on PostgreSQL `document` may be a JSON
 * array of rows, read in one statement; on MySQL it is one row.
 */
export function rowFromJsonSql(
  table: TableInfo,
  document: string,
  family: 'postgres' | 'mysql',
  columns = table.columns,
): RawBuilder<unknown> {
  const names = sql.join(columns.map((column) => sql.id(column.name)))
  if (family === 'postgres') {
    const type = tableSql({ schema: table.schema, table: table.name })
    return sql`select ${names} from json_populate_recordset(null::${type}, ${document}::json)`
  }
  const values = columns.map((column) => sql`${mysqlValueSql(sql`${document}`, column)} as ${sql.id(column.name)}`)
  return sql`select ${sql.join(values)}`
}
