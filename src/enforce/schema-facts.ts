import { findColumn, findTable, type IndexInfo, type SchemaInfo, type TableInfo } from '../db/schema-info.js'
import type { Relation, TableRef } from '../model/relation.js'

/** What the engine needs to know about a guarded table, read once from the catalog. */
export interface TableFacts {
  /** Columns that identify a row: the primary key, or empty when the table has none. */
  identity: string[]
  /** Column -> declared type, used to cast parameters on PostgreSQL. */
  types: Map<string, string>
  /** Column -> default expression as SQL, or null (no default, i.e. NULL). */
  defaults: Map<string, string | null>
  /** Indexes (primary key and unique constraints included) in the catalog's order. */
  indexes: IndexInfo[]
  /** Columns that may hold NULL. */
  nullable: Set<string>
}

/** The facts of every table a relation touches, keyed by `schema.table`. */
export class SchemaFacts {
  private readonly tables = new Map<string, TableFacts>()

  constructor(
    private readonly schema: SchemaInfo,
    relations: readonly Relation[],
  ) {
    for (const relation of relations) {
      for (const side of [relation.child, relation.parent]) {
        const table = findTable(schema, side)
        if (table) this.tables.set(this.key(side), factsOf(table))
      }
    }
  }

  /** The schema unqualified table names resolve to. */
  get defaultSchema(): string {
    return this.schema.defaultSchema
  }

  /** Facts of a table named by a relation or a statement. */
  of(ref: Pick<TableRef, 'schema' | 'table'>): TableFacts | undefined {
    return this.tables.get(this.key(ref))
  }

  /** The declared type of a column, if known. */
  columnType(ref: Pick<TableRef, 'schema' | 'table'>, column: string): string | undefined {
    return this.of(ref)?.types.get(column)
  }

  private key(ref: Pick<TableRef, 'schema' | 'table'>): string {
    return `${ref.schema ?? this.schema.defaultSchema}.${ref.table}`
  }
}

function factsOf(table: TableInfo): TableFacts {
  return {
    identity: table.primaryKey.filter((name) => findColumn(table, name)),
    types: new Map(table.columns.map((column) => [column.name, column.type])),
    defaults: new Map(table.columns.map((column) => [column.name, column.default])),
    indexes: table.indexes,
    nullable: new Set(table.columns.filter((column) => column.nullable).map((column) => column.name)),
  }
}
