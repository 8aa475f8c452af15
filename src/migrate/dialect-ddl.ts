import type { MigrationDdl } from './ddl.js'
import { mysqlDdl } from './mysql-ddl.js'
import { postgresDdl } from './postgres-ddl.js'

/** The DDL of an engine family. */
export function ddlFor(family: 'postgres' | 'mysql'): MigrationDdl {
  return family === 'postgres' ? postgresDdl : mysqlDdl
}
