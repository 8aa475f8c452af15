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
