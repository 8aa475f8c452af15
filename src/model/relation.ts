/** What the database does to children when their parent is deleted or re-keyed. */
export type ReferentialAction = 'cascade' | 'restrict' | 'no action' | 'set null' | 'set default'

/** How NULLs in a composite child key are treated (SQL MATCH SIMPLE / MATCH FULL). */
export type MatchType = 'simple' | 'full'

/** Where a relation's actions run: in the caller's transaction, through the outbox, or by the sweeper. */
export type ExecutionMode = 'inline' | 'queued' | 'scheduled'

/** A literal a child-side `where` filter compares a column with. */
export type FilterValue = string | number | boolean | null

/** A table in one of the configured databases; `schema` is filled in from the database's default once connected. */
export interface TableRef {
  database: string
  schema?: string
  table: string
}

/** The child side of a relation: the referencing columns and an optional polymorphic filter. */
export interface ChildSide extends TableRef {
  columns: string[]
  where?: Record<string, FilterValue>
}

/** The parent side of a relation: the referenced, unique columns. */
export interface ParentSide extends TableRef {
  columns: string[]
}

/** A foreign key that the database does not enforce: refguard's unit of work. */
export interface Relation {
  name: string
  child: ChildSide
  parent: ParentSide
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
  /** PostgreSQL 15 style `ON DELETE SET NULL (cols)`: the subset of child columns the action sets. */
  onDeleteSetColumns?: string[]
  match: MatchType
  mode: ExecutionMode
  deferrable: boolean
  initiallyDeferred: boolean
}

/** `schema.table`, or just `table` when the schema is not known. */
export function qualifiedName(ref: TableRef): string {
  return ref.schema ? `${ref.schema}.${ref.table}` : ref.table
}

/** A stable identity for a table across databases, used as a graph node. */
export function tableId(ref: TableRef): string {
  return `${ref.database}:${qualifiedName(ref)}`
}

/** `order_lines(order_pk)`, the way reports show one side of a relation. */
export function describeSide(side: ChildSide | ParentSide): string {
  return `${qualifiedName(side)}(${side.columns.join(', ')})`
}

/** PostgreSQL's default constraint name for a foreign key: `<table>_<columns>_fkey`. */
export function defaultRelationName(child: { table: string; columns: string[] }): string {
  return `${child.table}_${child.columns.join('_')}_fkey`
}

/** Whether two table references name the same table. */
export function sameTable(a: TableRef, b: TableRef): boolean {
  return tableId(a) === tableId(b)
}
