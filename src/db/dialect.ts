import type { Kysely } from 'kysely'
import type { SchemaInfo } from './schema-info.js'
import type { DatabaseLocation, DialectName } from './url.js'

/** Everything that differs between the engines refguard supports; one implementation per engine. */
export interface Dialect {
  /** The engine: `postgres`, `mysql` (MySQL and MariaDB) or `pglite`. */
  readonly name: DialectName
  /** The SQL family, which decides syntax such as locking clauses and identifier quoting. */
  readonly family: 'postgres' | 'mysql'
  /** Opens a Kysely instance for the location; does not yet prove the server is reachable. */
  connect(location: DatabaseLocation): Promise<Kysely<any>>
  /** Reads tables, columns, indexes and declared foreign keys; `schemas` adds schemas beyond the default one. */
  introspect(db: Kysely<any>, schemas?: string[]): Promise<SchemaInfo>
}
