import { type RawBuilder, sql } from 'kysely'
import { columnSql, tableSql } from '../db/identifiers.js'
import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import { keyTypeOf } from '../audit/column-types.js'

/** Columns whose bytes JSON cannot carry as they are: binary strings and MySQL BIT (which json_object embeds raw). */
function carriedInBase64(column: ColumnInfo): boolean {
  return keyTypeOf(column).kind === 'binary' || column.baseType === 'bit'
}

/**
 * A whole row as JSON text, made by the database itself so nothing passes through JavaScript numbers or
 * dates: PostgreSQL `row_to_json` keeps numerics, microseconds and time zones, bytea as `\x…`, json text as
 * written (jsonb would reorder it); MySQL/MariaDB `json_object` keeps decimals and fractional seconds, with binary
 * and BIT columns in base64 and text columns as strings.
 */
export function rowJsonSql(table: TableInfo, alias: string, family: 'postgres' | 'mysql'): RawBuilder<string> {
  if (family === 'postgres') return sql`row_to_json(${sql.id(alias)})::text`
  const pairs = table.columns.map((column) => {
    const name = columnSql(alias, column.name)
    // MariaDB's JSON is longtext that json_object embeds as a document, which restore would read back
    // reformatted; as a string it comes back exactly as written.
    const text = keyTypeOf(column).kind === 'string'
    const value = carriedInBase64(column) ? sql`to_base64(${name})` : text ? sql`cast(${name} as char)` : name
    return sql`${column.name}, ${value}`
  })
  // As text: a driver would parse a JSON-typed result into an object.
  return sql`cast(json_object(${sql.join(pairs)}) as char)`
}

/** One column's value out of a MySQL JSON document `document`: JSON null is SQL NULL, base64 back to binary. */
function mysqlValueSql(document: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown> {
  const path = `$."${column.name.replace(/"/g, '\\"')}"`
  const raw = sql`json_extract(${document}, ${path})`
  const text = sql`json_unquote(${raw})`
  const value = carriedInBase64(column) ? sql`from_base64(${text})` : text
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
