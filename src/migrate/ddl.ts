import type { RawBuilder } from 'kysely'
import type { Relation } from '../model/relation.js'
import type { Behaviour } from './behaviour.js'

/** A table as DDL names it. */
export interface TableName {
  schema?: string
  table: string
}

/** A table as DDL names it: schema-qualified only outside the database's default schema, so the DDL runs the same in every copy of the database. */
export function ddlTable(defaultSchema: string, table: { schema: string; name: string }): TableName {
  return table.schema === defaultSchema ? { table: table.name } : { schema: table.schema, table: table.name }
}

/** A FOREIGN KEY as DDL declares it. */
export interface ForeignKeyDefinition extends Behaviour {
  name: string
  child: TableName & { columns: string[] }
  parent: TableName & { columns: string[] }
}

/** One DDL statement and what it locks. */
export interface DdlStep {
  query: RawBuilder<unknown>
  note: string
}

/** The DDL of one engine family: how it drops, declares and validates foreign keys and builds indexes with the least locking. */
export interface MigrationDdl {
  /** Removes a FOREIGN KEY constraint; the rows and indexes stay. */
  dropForeignKey(table: TableName, name: string): DdlStep
  /** Declares a foreign key and checks the rows already there: PostgreSQL in two steps (NOT VALID, then VALIDATE). */
  addForeignKey(definition: ForeignKeyDefinition, options: { partitioned: boolean }): DdlStep[]
  /** Checks the rows of a foreign key added NOT VALID earlier (PostgreSQL; none on MySQL, whose constraints are always valid). */
  validateForeignKey(table: TableName, name: string): DdlStep[]
  /** Builds an index on the child key without blocking writes where the engine can. */
  createIndex(table: TableName, name: string, columns: string[], options: { partitioned: boolean }): DdlStep
  /** Why the engine cannot declare the relation as a constraint, or undefined when it can. */
  cannotExpress(relation: Relation): string | undefined
}
