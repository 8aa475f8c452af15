import { sql } from 'kysely'
import { createTestDatabase, type TestDatabase, type TestDialect } from '../support/databases.js'

/** The database pairs cross-database suites run on: child engine, parent engine. */
export const PAIRS: ReadonlyArray<readonly [TestDialect, TestDialect]> = [
  ['postgres', 'postgres'],
  ['postgres', 'mariadb'],
  ['mariadb', 'postgres'],
  ['mariadb', 'mariadb'],
  ['pglite', 'postgres'],
]

/** The pairs plus a PGlite parent, for suites that do not need the parent to be a server (a proxy to cut, a second process). */
export const PAIRS_WITH_PGLITE_PARENT: ReadonlyArray<readonly [TestDialect, TestDialect]> = [...PAIRS, ['postgres', 'pglite']]

/** A child database and a parent database, created together and dropped together. */
export interface DatabasePair {
  child: TestDatabase
  parent: TestDatabase
  /** A config for them: the child database is `main`, the parent database `billing`. */
  config(relations: unknown[]): { databases: Record<string, { url: string }>; relations: unknown[] }
  drop(): Promise<void>
}

/** Creates a fresh child and parent database on the given engines. */
export async function createDatabasePair(childDialect: TestDialect, parentDialect: TestDialect, prefix: string): Promise<DatabasePair> {
  const child = await createTestDatabase(childDialect, `${prefix}_child`)
  const parent = await createTestDatabase(parentDialect, `${prefix}_parent`).catch(async (error) => {
    await child.drop()
    throw error
  })
  return {
    child,
    parent,
    config: (relations) => ({ databases: { main: { url: child.url }, billing: { url: parent.url } }, relations }),
    async drop() {
      await Promise.allSettled([child.drop(), parent.drop()])
    },
  }
}

/** The column type of uuid keys: PostgreSQL's uuid, MariaDB's usual char(36). */
export function uuidType(dialect: TestDialect): string {
  return dialect === 'mariadb' ? 'char(36)' : 'uuid'
}

/** Inserts rows, a hundred per statement. */
export async function insertRows(test: TestDatabase, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += 100) {
    const values = rows.slice(start, start + 100).map((row) => sql`(${sql.join(row.map((value) => sql`${value}`))})`)
    await sql`insert into ${sql.id(table)} (${sql.join(columns.map((column) => sql.id(column)))}) values ${sql.join(values)}`.execute(
      test.db,
    )
  }
}

/** The count of a table's rows. */
export async function countRows(test: TestDatabase, table: string): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.id(table)}`.execute(test.db)
  return Number(rows[0]?.n)
}
