import { sql } from 'kysely'
import type { Database } from './connect.js'

/** Each table that inherits from another (PostgreSQL inheritance children and partitions), as `schema.table` -> parent; none on MySQL. */
export async function readTableParents(database: Database): Promise<Map<string, string>> {
  if (database.dialect.family !== 'postgres') return new Map()
  const result = await sql<{ child_schema: string; child: string; parent_schema: string; parent: string }>`
    select cn.nspname as child_schema, c.relname as child, pn.nspname as parent_schema, p.relname as parent
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid join pg_namespace cn on cn.oid = c.relnamespace
    join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace`.execute(database.db)
  return new Map(result.rows.map((row) => [`${row.child_schema}.${row.child}`, `${row.parent_schema}.${row.parent}`]))
}
