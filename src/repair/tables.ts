import { type Kysely, sql } from 'kysely'

/** refguard's own tables, in the default schema of the database whose rows a repair changes. */
export const RUNS_TABLE = 'refguard_runs'
export const ARCHIVE_TABLE = 'refguard_archive'

/** Whether this PostgreSQL server can compress TOASTed values with lz4 (faster than the default pglz): builds with lz4 support. */
async function hasLz4(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{
    lz4: boolean
  }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db)
  return rows[0]?.lz4 === true
}

/** Creates `refguard_runs` and `refguard_archive` when they do not exist yet (what `refguard init` does). */
export async function ensureRepairTables(db: Kysely<any>, family: 'postgres' | 'mysql'): Promise<void> {
  const postgres = family === 'postgres'
  const json = postgres ? sql`json${(await hasLz4(db)) ? sql` compression lz4` : sql``}` : sql`longtext`
  const time = postgres ? sql`timestamptz` : sql`datetime(6)`
  const now = postgres ? sql`now()` : sql`current_timestamp(6)`
  await sql`create table if not exists ${sql.id(RUNS_TABLE)} (
    id varchar(40) primary key,
    started_at ${time} not null default ${now},
    finished_at ${time} null,
    status varchar(20) not null,
    state ${postgres ? sql`jsonb` : sql`longtext`} not null)`.execute(db)
  // On PostgreSQL row_data holds a batch's rows as one JSON array, so it is TOASTed and compressed.
  // No surrogate key: a sequence value and a primary-key entry for every archived row cost a fifth of a repair batch,
  // and nothing looks a row up by it. Rows are read by run and batch (the index); tables made before keep their id.
  await sql`create table if not exists ${sql.id(ARCHIVE_TABLE)} (
    run_id varchar(40) not null,
    batch int not null,
    step int not null,
    relation varchar(255) not null,
    table_schema varchar(255) null,
    table_name varchar(255) not null,
    action varchar(20) not null,
    changed_columns text null,
    row_data ${json} not null,
    archived_at ${time} not null default ${now})`.execute(db)
  await sql`create index if not exists ${sql.id(`${ARCHIVE_TABLE}_run`)} on ${sql.id(ARCHIVE_TABLE)} (run_id, batch)`.execute(db)
}
