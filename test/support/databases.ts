import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { type Database, openDatabase } from '../../src/db/connect.js'

/** The engines every suite runs against. */
export const DIALECTS = ['pglite', 'postgres', 'mariadb'] as const
export type TestDialect = (typeof DIALECTS)[number]

const SERVER_URLS = {
  postgres: process.env.REFGUARD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  mariadb: process.env.REFGUARD_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test',
}

/** A throw-away database with a unique name, dropped by `drop()`. */
export interface TestDatabase {
  dialect: TestDialect
  url: string
  database: Database
  db: Kysely<any>
  /** Runs several `;`-separated statements (DDL and fixtures). */
  exec(script: string): Promise<void>
  /** Closes this process's connection, so another process (the CLI) can open the database; PGlite allows one at a time. */
  disconnect(): Promise<void>
  drop(): Promise<void>
}

function uniqueName(prefix: string): string {
  return `rg_${prefix.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

/** Creates a fresh, uniquely named database on the dialect's server (or in memory for PGlite). */
export async function createTestDatabase(dialect: TestDialect, prefix = 'test'): Promise<TestDatabase> {
  if (dialect === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'rg-pglite-'))
    const url = `pglite://${dir}`
    const database = await openDatabase('main', url)
    return wrap(dialect, url, database, async () => rmSync(dir, { recursive: true, force: true }))
  }
  const name = uniqueName(prefix)
  const admin = await openDatabase('admin', SERVER_URLS[dialect])
  await sql`create database ${sql.id(name)}`.execute(admin.db)
  const url = withDatabase(SERVER_URLS[dialect], name)
  const database = await openDatabase('main', url)
  return wrap(dialect, url, database, async () => {
    const force = dialect === 'postgres' ? sql` with (force)` : sql``
    await sql`drop database if exists ${sql.id(name)}${force}`.execute(admin.db)
    await admin.close()
  })
}

function splitStatements(script: string): string[] {
  return script
    .split(/;\s*/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0)
}

function wrap(dialect: TestDialect, url: string, database: Database, dropData: () => Promise<void>): TestDatabase {
  let connected = true
  const disconnect = async () => {
    if (connected) await database.close()
    connected = false
  }
  return {
    dialect,
    url,
    database,
    db: database.db,
    async exec(script) {
      for (const statement of splitStatements(script)) await sql.raw(statement).execute(database.db)
    },
    disconnect,
    async drop() {
      await disconnect()
      await dropData()
    },
  }
}
