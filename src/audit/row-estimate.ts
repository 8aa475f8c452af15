import { type Kysely, sql } from 'kysely'
import type { TableInfo } from '../db/schema-info.js'

/** The planner's row count of a table (no scan), or undefined when the statistics have never been gathered. */
export async function estimateRows(db: Kysely<any>, family: 'postgres' | 'mysql', table: TableInfo): Promise<number | undefined> {
  const query =
    family === 'postgres'
      ? sql<{ n: unknown }>`select c.reltuples as n from pg_class c join pg_namespace s on s.oid = c.relnamespace
          where s.nspname = ${table.schema} and c.relname = ${table.name}`
      : sql<{
          n: unknown
        }>`select table_rows as n from information_schema.tables where table_schema = ${table.schema} and table_name = ${table.name}`
  const value = (await query.execute(db)).rows[0]?.n
  const rows = value === null || value === undefined ? Number.NaN : Number(value)
  return Number.isFinite(rows) && rows >= 0 ? rows : undefined
}

/** Below this many pages (8 MB) a table stays in memory: heap reads for index entries cost little. */
const SMALL_TABLE_PAGES = 1000
/** Share of a table's pages PostgreSQL must know to be all-visible before index-only reads of it are cheap. */
const MIN_ALL_VISIBLE = 0.8
/** Rows deleted or updated (dead) since the last VACUUM, as a share of live rows, above which the visibility map is mostly cleared. */
const MAX_DEAD = 0.01
/** Rows inserted since the last VACUUM, as a share of live rows: their pages are not yet all-visible. */
const MAX_INSERTED = 0.2

/**
 * Whether an index-only read of the table is cheap. PostgreSQL answers it from the visibility map, which only
 * VACUUM sets: after a mass delete (or on a table never vacuumed) each index entry costs a random heap read.
 * Judged from the statistics (no scan); MySQL/MariaDB secondary indexes need no such map, so always true there.
 */
export async function indexOnlyReadsAreCheap(db: Kysely<any>, family: 'postgres' | 'mysql', table: TableInfo): Promise<boolean> {
  if (family !== 'postgres') return true
  const { rows } = await sql<{ pages: unknown; visible: unknown; live: unknown; dead: unknown; inserted: unknown }>`select
      c.relpages as pages, c.relallvisible as visible, s.n_live_tup as live, s.n_dead_tup as dead, s.n_ins_since_vacuum as inserted
    from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_stat_all_tables s on s.relid = c.oid
    where n.nspname = ${table.schema} and c.relname = ${table.name}`
    .execute(db)
    .catch(() => ({ rows: [] }))
  const row = rows[0]
  if (!row) return true
  const [pages, visible, live, dead, inserted] = [row.pages, row.visible, row.live, row.dead, row.inserted].map((value) =>
    Number(value ?? 0),
  )
  if ((pages as number) < SMALL_TABLE_PAGES) return true
  const base = Math.max(live as number, 1)
  return (
    (visible as number) >= MIN_ALL_VISIBLE * (pages as number) &&
    (dead as number) <= MAX_DEAD * base &&
    (inserted as number) <= MAX_INSERTED * base
  )
}
