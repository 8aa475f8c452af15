import { sql } from 'kysely'
import type { DdlStep, ForeignKeyDefinition, MigrationDdl, TableName } from './ddl.js'
import { actionSql, columnsSql, tableSql } from './sql-parts.js'

function referencesSql(definition: ForeignKeyDefinition) {
  const { child, parent, onDeleteSetColumns } = definition
  const match = definition.match === 'full' ? sql` MATCH FULL` : sql``
  const setColumns = onDeleteSetColumns && onDeleteSetColumns.length > 0 ? sql` (${columnsSql(onDeleteSetColumns)})` : sql``
  const deferral = definition.deferrable
    ? sql` DEFERRABLE INITIALLY ${sql.raw(definition.initiallyDeferred ? 'DEFERRED' : 'IMMEDIATE')}`
    : sql``
  return sql`FOREIGN KEY (${columnsSql(child.columns)}) REFERENCES ${tableSql(parent)} (${columnsSql(parent.columns)})${match} ON DELETE ${actionSql(definition.onDelete)}${setColumns} ON UPDATE ${actionSql(definition.onUpdate)}${deferral}`
}

function validate(table: TableName, name: string): DdlStep {
  return {
    query: sql`ALTER TABLE ${tableSql(table)} VALIDATE CONSTRAINT ${sql.id(name)}`,
    note: `reads every row of ${table.table} under SHARE UPDATE EXCLUSIVE: reads and writes go on`,
  }
}

/** PostgreSQL (and PGlite): NOT VALID + VALIDATE CONSTRAINT, CREATE INDEX CONCURRENTLY. */
export const postgresDdl: MigrationDdl = {
  dropForeignKey(table, name) {
    return {
      query: sql`ALTER TABLE ${tableSql(table)} DROP CONSTRAINT ${sql.id(name)}`,
      note: `metadata only, no rows read; waits for an ACCESS EXCLUSIVE lock on ${table.table} (and a lock on the parent) for a moment`,
    }
  },
  addForeignKey(definition, { partitioned }) {
    const { child } = definition
    if (partitioned) {
      return [
        {
          query: sql`ALTER TABLE ${tableSql(child)} ADD CONSTRAINT ${sql.id(definition.name)} ${referencesSql(definition)}`,
          note: `${child.table} is partitioned, which PostgreSQL before 18 cannot give a NOT VALID foreign key: this reads every row while writes to ${child.table} wait`,
        },
      ]
    }
    return [
      {
        query: sql`ALTER TABLE ${tableSql(child)} ADD CONSTRAINT ${sql.id(definition.name)} ${referencesSql(definition)} NOT VALID`,
        note: `NOT VALID: new writes are checked at once, no existing row is read; a SHARE ROW EXCLUSIVE lock on both tables for a moment`,
      },
      validate(child, definition.name),
    ]
  },
  validateForeignKey(table, name) {
    return [validate(table, name)]
  },
  createIndex(table, name, columns, { partitioned }) {
    if (partitioned) {
      return {
        query: sql`CREATE INDEX ${sql.id(name)} ON ${tableSql(table)} (${columnsSql(columns)})`,
        note: `${table.table} is partitioned, where CONCURRENTLY is not available: writes to it wait while the index builds`,
      }
    }
    return {
      query: sql`CREATE INDEX CONCURRENTLY ${sql.id(name)} ON ${tableSql(table)} (${columnsSql(columns)})`,
      note: 'CONCURRENTLY: reads and writes go on while it builds; runs outside a transaction',
    }
  },
  cannotExpress() {
    return undefined
  },
}
