import { type Kysely, sql } from 'kysely'
import type { MatchType, ReferentialAction } from '../model/relation.js'
import type { ForeignKeyInfo, SchemaInfo, TableInfo } from './schema-info.js'

const ACTION_CODES: Record<string, ReferentialAction> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
}

const MATCH_CODES: Record<string, MatchType | 'partial'> = { s: 'simple', f: 'full', p: 'partial' }

const USER_SCHEMAS = sql`n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`

/** Parses a JSON column whether the driver already did (pg) or not. */
function jsonValue<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

/** Reads tables, columns, indexes and foreign keys from the PostgreSQL catalogs (also used for PGlite). */
export async function introspectPostgres(db: Kysely<any>): Promise<SchemaInfo> {
  const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
  const tableRows = await sql<{ schema: string; name: string; kind: string }>`
    select n.nspname as schema, c.relname as name, c.relkind as kind
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and ${USER_SCHEMAS}
    order by 1, 2`.execute(db)
  const columnRows = await sql<{
    schema: string
    table: string
    name: string
    type: string
    base_type: string
    not_null: boolean
    default: string | null
    collation: string | null
  }>`
    select n.nspname as schema, c.relname as table, a.attname as name,
           format_type(a.atttypid, a.atttypmod) as type, t.typname as base_type,
           a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default,
           case when a.attcollation <> 0 and a.attcollation <> t.typcollation then co.collname end as collation
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_type t on t.oid = a.atttypid
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    left join pg_collation co on co.oid = a.attcollation
    where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f') and ${USER_SCHEMAS}
    order by n.nspname, c.relname, a.attnum`.execute(db)
  const indexRows = await sql<{
    schema: string
    table: string
    name: string
    unique: boolean
    primary: boolean
    partial: boolean
    columns: unknown
  }>`
    select n.nspname as schema, c.relname as table, i.relname as name,
           x.indisunique as unique, x.indisprimary as primary, x.indpred is not null as partial,
           (select json_agg(a.attname order by k.ord)
              from unnest(x.indkey::int2[]) with ordinality as k(attnum, ord)
              left join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
             where k.ord <= x.indnkeyatts) as columns
    from pg_index x
    join pg_class c on c.oid = x.indrelid
    join pg_class i on i.oid = x.indexrelid
    join pg_namespace n on n.oid = c.relnamespace
    where ${USER_SCHEMAS}
    order by 1, 2, 3`.execute(db)
  const foreignKeyRows = await sql<{
    schema: string
    table: string
    name: string
    columns: unknown
    parent_schema: string
    parent_table: string
    parent_columns: unknown
    on_update: string
    on_delete: string
    match: string
    deferrable: boolean
    deferred: boolean
    set_columns: unknown
  }>`
    select n.nspname as schema, c.relname as table, con.conname as name,
           (select json_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality as k(attnum, ord)
              join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum) as columns,
           pn.nspname as parent_schema, pc.relname as parent_table,
           (select json_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality as k(attnum, ord)
              join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum) as parent_columns,
           con.confupdtype as on_update, con.confdeltype as on_delete, con.confmatchtype as match,
           con.condeferrable as deferrable, con.condeferred as deferred,
           (select json_agg(a.attname order by k.ord)
              from jsonb_array_elements_text(
                     case when jsonb_typeof(to_jsonb(con) -> 'confdelsetcols') = 'array' then to_jsonb(con) -> 'confdelsetcols' else '[]' end
                   ) with ordinality as k(attnum, ord)
              join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum::int2) as set_columns
    from pg_constraint con
    join pg_class c on c.oid = con.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_class pc on pc.oid = con.confrelid
    join pg_namespace pn on pn.oid = pc.relnamespace
    where con.contype = 'f' and con.conparentid = 0 and ${USER_SCHEMAS}
    order by 1, 2, 3`.execute(db)

  const tables = new Map<string, TableInfo>()
  const key = (schema: string, table: string) => `${schema}\u0000${table}`
  for (const row of tableRows.rows) {
    tables.set(key(row.schema, row.name), {
      schema: row.schema,
      name: row.name,
      kind: row.kind === 'v' || row.kind === 'm' ? 'view' : 'table',
      columns: [],
      primaryKey: [],
      indexes: [],
      foreignKeys: [],
    })
  }
  for (const row of columnRows.rows) {
    tables.get(key(row.schema, row.table))?.columns.push({
      name: row.name,
      type: row.type,
      baseType: row.base_type,
      nullable: !row.not_null,
      default: row.default,
      ...(row.collation ? { collation: row.collation } : {}),
    })
  }
  for (const row of indexRows.rows) {
    const table = tables.get(key(row.schema, row.table))
    if (!table) continue
    const columns = jsonValue<Array<string | null>>(row.columns) ?? []
    table.indexes.push({ name: row.name, columns, unique: row.unique, primary: row.primary, partial: row.partial })
    if (row.primary) table.primaryKey = columns.filter((column): column is string => column !== null)
  }
  for (const row of foreignKeyRows.rows) {
    const foreignKey: ForeignKeyInfo = {
      name: row.name,
      columns: jsonValue<string[]>(row.columns),
      parent: { schema: row.parent_schema, table: row.parent_table, columns: jsonValue<string[]>(row.parent_columns) },
      onDelete: ACTION_CODES[row.on_delete] ?? 'no action',
      onUpdate: ACTION_CODES[row.on_update] ?? 'no action',
      match: MATCH_CODES[row.match] ?? 'simple',
      deferrable: row.deferrable,
      initiallyDeferred: row.deferred,
    }
    const setColumns = jsonValue<string[] | null>(row.set_columns)
    if (setColumns && setColumns.length > 0) foreignKey.onDeleteSetColumns = setColumns
    tables.get(key(row.schema, row.table))?.foreignKeys.push(foreignKey)
  }
  return { defaultSchema: current.rows[0]?.schema ?? 'public', tables: [...tables.values()] }
}
