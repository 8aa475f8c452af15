import { sql } from 'kysely'
import type { MigrationDdl } from './ddl.js'
import { actionSql, columnsSql, tableSql } from './sql-parts.js'

/** MySQL and MariaDB (InnoDB): ADD CONSTRAINT validates at once; indexes are built INPLACE without locking writers. */
export const mysqlDdl: MigrationDdl = {
  dropForeignKey(table, name) {
    return {
      query: sql`ALTER TABLE ${tableSql(table)} DROP FOREIGN KEY ${sql.id(name)}`,
      note: 'metadata only (INPLACE), no table copy; the index the constraint used stays',
    }
  },
  addForeignKey(definition) {
    const { child, parent } = definition
    return [
      {
        query: sql`ALTER TABLE ${tableSql(child)} ADD CONSTRAINT ${sql.id(definition.name)} FOREIGN KEY (${columnsSql(child.columns)}) REFERENCES ${tableSql(parent)} (${columnsSql(parent.columns)}) ON DELETE ${actionSql(definition.onDelete)} ON UPDATE ${actionSql(definition.onUpdate)}`,
        note: `locking: with foreign_key_checks on, InnoDB adds a FOREIGN KEY by copying ${child.table} (ALGORITHM=COPY) and checks every row; writes to ${child.table} wait until it is done`,
      },
    ]
  },
  validateForeignKey() {
    return []
  },
  createIndex(table, name, columns) {
    return {
      query: sql`ALTER TABLE ${tableSql(table)} ADD INDEX ${sql.id(name)} (${columnsSql(columns)}), ALGORITHM=INPLACE, LOCK=NONE`,
      note: 'ALGORITHM=INPLACE, LOCK=NONE: reads and writes go on while it builds',
    }
  },
  cannotExpress(relation) {
    const actions = [relation.onDelete, relation.onUpdate]
    if (actions.includes('set default')) return 'SET DEFAULT: InnoDB rejects it in a FOREIGN KEY'
    if (relation.match === 'full') return 'MATCH FULL: InnoDB parses MATCH but always acts as MATCH SIMPLE'
    if (relation.deferrable) return 'deferrable: MySQL and MariaDB check every constraint at once, never at commit'
    if (relation.onDeleteSetColumns && relation.onDeleteSetColumns.length < relation.child.columns.length) {
      return `ON DELETE SET NULL (${relation.onDeleteSetColumns.join(', ')}): MySQL and MariaDB set every key column`
    }
    return undefined
  },
}
