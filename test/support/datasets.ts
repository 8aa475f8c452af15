import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'
import type { ColumnInfo, TableInfo } from '../../src/db/schema-info.js'
import type { TestDatabase } from './databases.js'
import { splitMysqlScript } from './mysql-script.js'
import { type CopyBlock, parsePsqlScript } from './psql-script.js'

const ROWS_PER_INSERT = 1000

function fixture(path: string): string {
  return readFileSync(new URL(`../fixtures/datasets/${path}`, import.meta.url), 'utf8')
}

/**
 * Statements that act on inserted rows, deferred until the data is in. psql's COPY ignores rules, so
 * sakila's rules (which reroute `payment` inserts to partitions, renumbering them) must not see the
 * INSERTs that stand in for COPY here. FKs added last check every row, where psql's load (FKs
 * present, then `DISABLE TRIGGER ALL` around each COPY) checks none.
 */
const AFTER_DATA = [/^alter table .* foreign key /is, /^create rule /i]

const SINGLE_ROW_INSERT = /^insert into (\S+) values (\(.*\))$/is

/** Settings of a dump (`SET search_path ...`) stay inside the loading transaction. */
function local(statement: string): string {
  return statement.replace(/^set\s+(?!local\b)/i, 'SET LOCAL ')
}

/** Runs of single-row `INSERT INTO t VALUES (...)` on one table become multi-row INSERTs. */
function batchInserts(statements: string[]): string[] {
  const batched: string[] = []
  let run: { table: string; rows: string[] } | undefined
  const flush = () => {
    if (run) batched.push(`insert into ${run.table} values ${run.rows.join(', ')}`)
    run = undefined
  }
  for (const statement of statements) {
    const insert = SINGLE_ROW_INSERT.exec(statement)
    if (!insert) {
      flush()
      batched.push(statement)
      continue
    }
    const [, table, row] = insert as unknown as [string, string, string]
    if (run?.table !== table || run.rows.length >= ROWS_PER_INSERT) flush()
    run ??= { table, rows: [] }
    run.rows.push(row)
  }
  flush()
  return batched
}

async function insertRows(db: Kysely<any>, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const batch = rows.slice(start, start + ROWS_PER_INSERT)
    await db
      .insertInto(table)
      .values(batch.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]]))))
      .execute()
  }
}

/**
 * Loads pg_dump scripts in one transaction, with COPY blocks as multi-row INSERTs and FKs and rules
 * after the data (see AFTER_DATA). PGlite has no COPY FROM stdin; its COPY FROM '/dev/blob' needs a
 * blob passed to PGlite's own query(), out of reach through Kysely.
 */
async function loadPostgresDump(test: TestDatabase, scripts: string[]): Promise<void> {
  const items = scripts.flatMap(parsePsqlScript)
  const deferred = (item: (typeof items)[number]) => 'sql' in item && AFTER_DATA.some((pattern) => pattern.test(item.sql))
  const steps = [...items.filter((item) => !deferred(item)), ...items.filter(deferred)]
  await test.db.transaction().execute(async (trx) => {
    let statements: string[] = []
    const runStatements = async () => {
      for (const statement of batchInserts(statements)) await sql.raw(local(statement)).execute(trx)
      statements = []
    }
    for (const step of steps) {
      if ('sql' in step) statements.push(step.sql)
      else {
        await runStatements()
        await insertRows(trx, step.copy.table, step.copy.columns, step.copy.rows)
      }
    }
    await runStatements()
  })
}

/** `{Trailers,"Deleted Scenes"}` -> ['Trailers', 'Deleted Scenes']. */
function postgresArray(literal: string): string[] {
  return [...literal.slice(1, -1).matchAll(/"((?:[^"\\]|\\.)*)"|([^,]+)/g)].map(
    (match) => match[2] ?? (match[1] as string).replace(/\\(.)/g, '$1'),
  )
}

/** A COPY text value as the MySQL column takes it: PG arrays become SETs, PG booleans 1/0. */
function mysqlValue(value: string | null, column: ColumnInfo): unknown {
  if (value === null) return null
  if (column.baseType === 'set') return postgresArray(value).join(',')
  if (column.baseType === 'tinyint' && (value === 't' || value === 'f')) return value === 't' ? 1 : 0
  return value
}

/** Inserts a PostgreSQL COPY block into the MySQL table of the same name, keeping the columns both have. */
async function insertCopyIntoMysql(db: Kysely<any>, copy: CopyBlock, table: TableInfo): Promise<void> {
  const kept = copy.columns.flatMap((name, i) => {
    const column = table.columns.find((candidate) => candidate.name === name)
    return column ? [{ column, i }] : []
  })
  const rows = copy.rows.map((row) => kept.map(({ column, i }) => mysqlValue(row[i] ?? null, column)))
  await insertRows(
    db,
    table.name,
    kept.map(({ column }) => column.name),
    rows,
  )
}

/**
 * Sakila on MariaDB: the MySQL schema as the mysql client would run it, minus its own `sakila`
 * database (the test's database stands in for it), then the PostgreSQL data translated, so every
 * dialect holds the same rows. Only the columns both schemas have are copied (PG's `fulltext` and
 * `activebool` are not).
 */
async function loadSakilaIntoMysql(test: TestDatabase): Promise<void> {
  const statements = splitMysqlScript(fixture('sakila/mysql-sakila-schema.sql'))
    .filter((statement) => !/^(drop schema|create schema|use)\b/i.test(statement))
    .map((statement) => statement.replace(/\bsakila\./g, ''))
  await test.db.connection().execute(async (connection) => {
    for (const statement of statements) await sql.raw(statement).execute(connection)
  })
  const schema = await test.database.introspect()
  const items = parsePsqlScript(fixture('sakila/postgres-sakila-insert-data-using-copy.sql'))
  await test.db.transaction().execute(async (trx) => {
    // staff and store reference each other; MySQL's own sakila-data.sql loads with the same switch.
    await sql`set foreign_key_checks = 0`.execute(trx)
    for (const item of items) {
      if (!('copy' in item)) continue
      const table = schema.tables.find((candidate) => candidate.name === item.copy.table)
      if (!table) throw new Error(`the MySQL sakila schema has no table "${item.copy.table}"`)
      await insertCopyIntoMysql(trx, item.copy, table)
    }
    await sql`set foreign_key_checks = 1`.execute(trx)
  })
}

/** Loads Sakila (jOOQ's PostgreSQL dump; on MariaDB its MySQL schema with the same data). */
export async function loadSakila(test: TestDatabase): Promise<void> {
  if (test.dialect === 'mariadb') return loadSakilaIntoMysql(test)
  await loadPostgresDump(test, [fixture('sakila/postgres-sakila-schema.sql'), fixture('sakila/postgres-sakila-insert-data-using-copy.sql')])
}

/** Loads Northwind (PostgreSQL only). */
export async function loadNorthwind(test: TestDatabase): Promise<void> {
  if (test.dialect === 'mariadb') throw new Error('northwind is a PostgreSQL dump: load it on postgres or pglite')
  await loadPostgresDump(test, [fixture('northwind/northwind.sql')])
}

/** Drops every declared foreign key, so the data can break them; returns how many there were. */
export async function dropForeignKeys(test: TestDatabase): Promise<number> {
  const schema = await test.database.introspect()
  let dropped = 0
  for (const table of schema.tables) {
    for (const foreignKey of table.foreignKeys) {
      const drop = test.dialect === 'mariadb' ? sql`drop foreign key` : sql`drop constraint`
      await sql`alter table ${sql.id(table.schema, table.name)} ${drop} ${sql.id(foreignKey.name)}`.execute(test.db)
      dropped += 1
    }
  }
  return dropped
}
