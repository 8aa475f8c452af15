import type { MatchType, ReferentialAction, TableRef } from '../model/relation.js'

/** A column as the database describes it. */
export interface ColumnInfo {
  name: string
  /** The full declared type, e.g. `character varying(40)` or `int(10) unsigned`. */
  type: string
  /** The base type name without length or modifiers, e.g. `varchar`, `int4`, `int`. */
  baseType: string
  nullable: boolean
  /** The default expression as SQL text, or null when there is none. */
  default: string | null
  charset?: string
  collation?: string
  /** MySQL `ON UPDATE CURRENT_TIMESTAMP`: the database changes it in every update that does not set it. */
  autoUpdated?: boolean
}

/** An index (or PK/unique constraint) with its key columns in order; `null` marks an expression. */
export interface IndexInfo {
  name: string
  columns: Array<string | null>
  unique: boolean
  primary: boolean
  /** A partial index (`WHERE ...`) guarantees nothing about rows outside its predicate. */
  partial: boolean
}

/** A FOREIGN KEY constraint the database declares. */
export interface ForeignKeyInfo {
  name: string
  columns: string[]
  parent: { schema: string; table: string; columns: string[] }
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
  onDeleteSetColumns?: string[]
  match: MatchType | 'partial'
  deferrable: boolean
  initiallyDeferred: boolean
}

/** A table or view with everything refguard needs to know about it. */
export interface TableInfo {
  schema: string
  name: string
  kind: 'table' | 'view'
  columns: ColumnInfo[]
  primaryKey: string[]
  indexes: IndexInfo[]
  foreignKeys: ForeignKeyInfo[]
}

/** What introspection found in one database. */
export interface SchemaInfo {
  /** The schema unqualified names resolve to (PostgreSQL `current_schema()`, MySQL `database()`). */
  defaultSchema: string
  tables: TableInfo[]
}

/** The table a reference names, resolving a missing schema to the default one. */
export function findTable(schema: SchemaInfo, ref: Pick<TableRef, 'schema' | 'table'>): TableInfo | undefined {
  const wanted = ref.schema ?? schema.defaultSchema
  return schema.tables.find((table) => table.schema === wanted && table.name === ref.table)
}

/** A column of a table by name. */
export function findColumn(table: TableInfo, name: string): ColumnInfo | undefined {
  return table.columns.find((column) => column.name === name)
}

/** Whether some full (non-partial) unique index or the primary key covers exactly these columns, in any order. */
export function hasUniqueKey(table: TableInfo, columns: string[]): boolean {
  const wanted = new Set(columns)
  return table.indexes.some(
    (index) =>
      index.unique &&
      !index.partial &&
      index.columns.length === wanted.size &&
      index.columns.every((column) => column !== null && wanted.has(column)),
  )
}

/** Whether an index starts with these columns (in any order among themselves), so lookups by them are indexed. */
export function hasLeadingIndex(table: TableInfo, columns: string[]): boolean {
  const wanted = new Set(columns)
  return table.indexes.some(
    (index) =>
      !index.partial &&
      index.columns.length >= wanted.size &&
      index.columns.slice(0, wanted.size).every((column) => column !== null && wanted.has(column)),
  )
}
