import { Kysely, MysqlDialect } from 'kysely'
import type { Dialect } from './dialect.js'
import { introspectMysql } from './mysql-introspection.js'

/** MySQL and MariaDB through mysql2. */
export const mysqlDialect: Dialect = {
  name: 'mysql',
  family: 'mysql',
  async connect(location) {
    const { createPool } = await import('mysql2')
    const pool = createPool({ uri: location.url, connectTimeout: 10_000, connectionLimit: 10, supportBigNumbers: true })
    return new Kysely<any>({ dialect: new MysqlDialect({ pool }) })
  },
  introspect: (db, schemas) => introspectMysql(db, schemas),
}
