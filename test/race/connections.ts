import { Kysely, MysqlDialect, PostgresDialect } from 'kysely'
import { createPool } from 'mysql2'
import pg from 'pg'
import { createTestDatabase, type TestDatabase } from '../support/databases.js'

/** The server engines the race runs against (PGlite has a single connection, so nothing can race). */
export type ServerDialect = 'postgres' | 'mariadb'

/** A throw-away test database on a server engine. */
export type RaceDatabase = TestDatabase & { dialect: ServerDialect }

/** Creates a throw-away database for races on a server engine. */
export async function createRaceDatabase(dialect: ServerDialect): Promise<RaceDatabase> {
  return (await createTestDatabase(dialect, 'race')) as RaceDatabase
}

/** Seconds a statement may wait for a row lock before failing; keeps a stuck run from hanging the suite. */
const LOCK_WAIT_SECONDS = 5

/**
 * Opens a Kysely for one worker: its own pool, its own sessions. Two connections by default, because refguard reads
 * through a second connection of the same Kysely while the first holds the transaction (PostgreSQL crosscheck). A
 * pool asked for more connections than it has fails after the lock wait instead of hanging the suite.
 */
export function openWorkerConnection(dialect: ServerDialect, url: string, poolSize = 2): Kysely<any> {
  if (dialect === 'postgres') {
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: LOCK_WAIT_SECONDS * 1000,
      lock_timeout: LOCK_WAIT_SECONDS * 1000,
    })
    pool.on('error', () => {})
    return new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
  }
  const pool = createPool({ uri: url, connectionLimit: poolSize })
  pool.on('connection', (connection) => {
    connection.query(`set session innodb_lock_wait_timeout = ${LOCK_WAIT_SECONDS}`)
  })
  return new Kysely<any>({ dialect: new MysqlDialect({ pool }) })
}
