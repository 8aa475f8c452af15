import { Kysely, PostgresDialect } from 'kysely'
import type { Dialect } from './dialect.js'
import { introspectPostgres } from './postgres-introspection.js'
import { prepareMarkedStatements } from './prepared.js'

/** PostgreSQL through node-postgres. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  family: 'postgres',
  async connect(location) {
    // Loaded on first use, like every driver: a CLI run pays only for the engine it talks to.
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ connectionString: location.url, connectionTimeoutMillis: 10_000, max: 10 })
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {})
    // Nor one checked out between statements (a batch's transaction): its next query fails with the error instead.
    pool.on('connect', (client) => {
      client.on('error', () => {})
      prepareMarkedStatements(client)
    })
    return new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
  },
  introspect: (db) => introspectPostgres(db),
}
