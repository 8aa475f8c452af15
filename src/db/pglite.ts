import { mkdirSync } from 'node:fs'
import { Kysely, PGliteDialect } from 'kysely'
import type { Dialect } from './dialect.js'
import { introspectPostgres } from './postgres-introspection.js'

/** Embedded PostgreSQL (PGlite), in memory or in a directory: the zero-setup default. */
export const pgliteDialect: Dialect = {
  name: 'pglite',
  family: 'postgres',
  async connect(location) {
    if (location.dataDir) mkdirSync(location.dataDir, { recursive: true })
    const { PGlite } = await import('@electric-sql/pglite')
    const pglite = location.dataDir ? new PGlite(location.dataDir) : new PGlite()
    await pglite.waitReady
    return new Kysely<any>({ dialect: new PGliteDialect({ pglite }) })
  },
  introspect: (db) => introspectPostgres(db),
}
