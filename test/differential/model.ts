import type { MatchType, ReferentialAction } from '../../src/index.js'

/** The server engines the oracle runs on; each decides which relation features may be generated. */
export type OracleDialect = 'postgres' | 'mariadb'

/** A referencing column of a child table. */
export interface ChildColumn {
  name: string
  notNull: boolean
  /** The column DEFAULT, what ON DELETE / ON UPDATE SET DEFAULT writes. */
  default: number | null
}

/** A table `id int primary key, v int not null default 0[, a int, b int, unique (a, b)]` plus its referencing columns. */
export interface TableDef {
  name: string
  /** Whether the table has the composite unique key (a, b) that composite relations reference. */
  compositeKey: boolean
  childColumns: ChildColumn[]
}

/** One foreign key, created as a real constraint on the oracle and given to refguard on the subject. */
export interface RelationDef {
  name: string
  child: string
  childColumns: string[]
  parent: string
  parentColumns: string[]
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
  match: MatchType
  /** PostgreSQL 15 `ON DELETE SET NULL (cols)`: the child columns the delete action writes. */
  onDeleteSetColumns?: string[]
}

/** Tables in parent-first order (a relation's parent never comes after its child) and their relations. */
export interface Schema {
  tables: TableDef[]
  relations: RelationDef[]
}

/** A row condition; `all` means no WHERE clause. */
export type Predicate =
  | { kind: 'all' }
  | { kind: 'compare'; column: string; op: '=' | '>' | '<=' | '>='; value: number }
  | { kind: 'in'; column: string; values: number[] }
  | { kind: 'null'; column: string }
  | { kind: 'and'; of: Predicate[] }

/** `set column = value` or `set column = column + add`. */
export type Assignment = { column: string; value: number | null } | { column: string; add: number }

/** One autocommit write, run through Kysely's query builder on both sides. */
export type Statement =
  | { kind: 'insert'; table: string; rows: Array<Record<string, number | null>> }
  | { kind: 'update'; table: string; set: Assignment; where: Predicate }
  | { kind: 'delete'; table: string; where: Predicate }

/** A schema and the statements run against it, starting from empty tables. */
export interface Scenario {
  schema: Schema
  statements: Statement[]
}
