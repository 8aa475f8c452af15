import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { type Database, openDatabase } from '../../src/index.js'

/** The engines benchmarks run on: two servers and embedded PGlite in memory. */
export const ENGINES = ['postgres', 'mariadb', 'pglite'] as const
export type Engine = (typeof ENGINES)[number]

/** How result tables name each engine. */
export const ENGINE_LABELS: Record<Engine, string> = { postgres: 'PostgreSQL', mariadb: 'MariaDB', pglite: 'PGlite (in memory)' }

/** Server URLs; the databases they name are only used to create and drop benchmark databases. */
export const SERVER_URLS = {
  postgres: process.env.REFGUARD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  mariadb: process.env.REFGUARD_BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test',
}

/** A throw-away database: its URL and an open connection to it. */
export interface BenchDatabase {
  engine: Engine
  url: string
  database: Database
}

function withDatabaseName(serverUrl: string, name: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Runs `body` on a fresh database (`rg_bench_<random>` on a server, a new in-memory PGlite), dropped afterwards even if `body` throws. */
export async function withBenchDatabase<T>(engine: Engine, body: (bench: BenchDatabase) => Promise<T>): Promise<T> {
  if (engine === 'pglite') {
    const url = 'pglite://memory'
    const database = await openDatabase('main', url)
    try {
      return await body({ engine, url, database })
    } finally {
      await database.close()
    }
  }
  const name = `rg_bench_${randomBytes(4).toString('hex')}`
  const admin = await openDatabase('admin', SERVER_URLS[engine])
  try {
    await sql`create database ${sql.id(name)}`.execute(admin.db)
    try {
      const url = withDatabaseName(SERVER_URLS[engine], name)
      const database = await openDatabase('main', url)
      try {
        return await body({ engine, url, database })
      } finally {
        await database.close()
      }
    } finally {
      // `with (force)` ends connections a failed body may have left behind.
      const force = engine === 'postgres' ? sql` with (force)` : sql``
      await sql`drop database if exists ${sql.id(name)}${force}`.execute(admin.db)
    }
  } finally {
    await admin.close()
  }
}
