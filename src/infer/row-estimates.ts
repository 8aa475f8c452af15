import { type Kysely, sql } from 'kysely'

/**
 * The planner's row count of every table (no scan), as `schema.table` -> rows, in one statement. PostgreSQL has
 * none for a table never analyzed (left out); MySQL's InnoDB figure is an estimate too.
 */
export async function estimateAllRows(
  db: Kysely<any>,
  family: 'postgres' | 'mysql',
  schemas: readonly string[],
): Promise<Map<string, number>> {
  const list = sql.join(schemas.map((schema) => sql`${schema}`))
  const query =
    family === 'postgres'
      ? sql<{ schema: string; name: string; n: unknown }>`select n.nspname as schema, c.relname as name, c.reltuples as n
          from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p') and n.nspname in (${list})`
      : sql<{ schema: string; name: string; n: unknown }>`select table_schema as ${sql.id('schema')}, table_name as name, table_rows as n
          from information_schema.tables where table_schema in (${list})`
  const { rows } = await query.execute(db)
  const estimates = new Map<string, number>()
  for (const row of rows) {
    const value = row.n === null || row.n === undefined ? Number.NaN : Number(row.n)
    if (Number.isFinite(value) && value >= 0) estimates.set(`${row.schema}.${row.name}`, value)
  }
  return estimates
}
