import { type Kysely, sql } from 'kysely'
import type { Dialect } from './dialect.js'
import { connectionFailure } from './errors.js'
import { mysqlDialect } from './mysql.js'
import { pgliteDialect } from './pglite.js'
import { postgresDialect } from './postgres.js'
import type { SchemaInfo } from './schema-info.js'
import { type DatabaseLocation, type DialectName, parseDatabaseUrl } from './url.js'

const DIALECTS: Record<DialectName, Dialect> = { postgres: postgresDialect, mysql: mysqlDialect, pglite: pgliteDialect }

/** An open connection to one configured database. */
export interface Database {
  /** The name the config gives this database (`main`, `billing`, ...). */
  readonly name: string
  readonly dialect: Dialect
  readonly location: DatabaseLocation
  readonly db: Kysely<any>
  /** Tables, columns, indexes and FKs; `schemas` adds schemas beyond the default one. */
  introspect(schemas?: string[]): Promise<SchemaInfo>
  close(): Promise<void>
}

/** Connects to a database URL and proves the connection works; throws ConnectionError otherwise. */
export async function openDatabase(name: string, url: string, baseDir?: string): Promise<Database> {
  const location = parseDatabaseUrl(url, baseDir)
  const dialect = DIALECTS[location.dialect]
  let db: Kysely<any> | undefined
  try {
    db = await dialect.connect(location)
    await sql`select 1`.execute(db)
  } catch (error) {
    await db?.destroy().catch(() => {})
    throw connectionFailure(name, location, error)
  }
  const open = db
  return {
    name,
    dialect,
    location,
    db: open,
    introspect: (schemas) => dialect.introspect(open, schemas),
    close: () => open.destroy(),
  }
}
