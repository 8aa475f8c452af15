import { type Kysely, sql } from 'kysely'
import type { ReferentialAction } from '../model/relation.js'
import type { SchemaInfo, TableInfo } from './schema-info.js'

function action(rule: string): ReferentialAction {
  return rule.toLowerCase() as ReferentialAction
}

/** MariaDB reports "no default" as the text NULL and quotes literal defaults; MySQL does neither. */
function columnDefault(value: string | null): string | null {
  return value === null || value === 'NULL' ? null : value
}

/** Reads tables, columns, indexes and foreign keys of the given databases (default: the current one). */
export async function introspectMysql(db: Kysely<any>, extraSchemas: string[] = []): Promise<SchemaInfo> {
  const current = await sql<{ schema: string | null }>`select database() as \`schema\``.execute(db)
  const defaultSchema = current.rows[0]?.schema
  if (!defaultSchema) throw new Error('the MySQL URL names no database: add one, e.g. mysql://user@host:3306/mydb')
  const schemas = [...new Set([defaultSchema, ...extraSchemas])]
  const inSchemas = sql.join(schemas.map((schema) => sql.lit(schema)))
  const tableRows = await sql<{ schema: string; name: string; type: string }>`
    select table_schema as \`schema\`, table_name as name, table_type as type
    from information_schema.tables where table_schema in (${inSchemas})
    order by 1, 2`.execute(db)
  const columnRows = await sql<{
    schema: string
    table: string
    name: string
    type: string
    base_type: string
    nullable: string
    default: string | null
    charset: string | null
    collation: string | null
    extra: string | null
  }>`
    select table_schema as \`schema\`, table_name as \`table\`, column_name as name, column_type as type,
           data_type as base_type, is_nullable as nullable, column_default as \`default\`,
           character_set_name as charset, collation_name as collation, extra
    from information_schema.columns where table_schema in (${inSchemas})
    order by table_schema, table_name, ordinal_position`.execute(db)
  const indexRows = await sql<{ schema: string; table: string; name: string; non_unique: number | string; column: string | null }>`
    select table_schema as \`schema\`, table_name as \`table\`, index_name as name, non_unique, column_name as \`column\`
    from information_schema.statistics where table_schema in (${inSchemas})
    order by table_schema, table_name, index_name, seq_in_index`.execute(db)
  const foreignKeyRows = await sql<{
    schema: string
    table: string
    name: string
    column: string
    parent_schema: string
    parent_table: string
    parent_column: string
    on_update: string
    on_delete: string
  }>`
    select k.table_schema as \`schema\`, k.table_name as \`table\`, k.constraint_name as name, k.column_name as \`column\`,
           k.referenced_table_schema as parent_schema, k.referenced_table_name as parent_table,
           k.referenced_column_name as parent_column, r.update_rule as on_update, r.delete_rule as on_delete
    from information_schema.key_column_usage k
    join information_schema.referential_constraints r
      on r.constraint_schema = k.constraint_schema and r.constraint_name = k.constraint_name and r.table_name = k.table_name
    where k.table_schema in (${inSchemas}) and k.referenced_table_name is not null
    order by k.table_schema, k.table_name, k.constraint_name, k.ordinal_position`.execute(db)

  const tables = new Map<string, TableInfo>()
  const key = (schema: string, table: string) => `${schema}\u0000${table}`
  for (const row of tableRows.rows) {
    tables.set(key(row.schema, row.name), {
      schema: row.schema,
      name: row.name,
      kind: row.type === 'VIEW' ? 'view' : 'table',
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
      baseType: row.base_type.toLowerCase(),
      nullable: row.nullable === 'YES',
      default: columnDefault(row.default),
      ...(row.charset ? { charset: row.charset } : {}),
      ...(row.collation ? { collation: row.collation } : {}),
      ...(/on update/i.test(row.extra ?? '') ? { autoUpdated: true } : {}),
    })
  }
  for (const row of indexRows.rows) {
    const table = tables.get(key(row.schema, row.table))
    if (!table) continue
    let index = table.indexes.find((existing) => existing.name === row.name)
    if (!index) {
      const primary = row.name === 'PRIMARY'
      index = { name: row.name, columns: [], unique: Number(row.non_unique) === 0, primary, partial: false }
      table.indexes.push(index)
    }
    index.columns.push(row.column)
    if (index.primary && row.column) table.primaryKey.push(row.column)
  }
  for (const row of foreignKeyRows.rows) {
    const table = tables.get(key(row.schema, row.table))
    if (!table) continue
    let foreignKey = table.foreignKeys.find((existing) => existing.name === row.name)
    if (!foreignKey) {
      foreignKey = {
        name: row.name,
        columns: [],
        parent: { schema: row.parent_schema, table: row.parent_table, columns: [] },
        onDelete: action(row.on_delete),
        onUpdate: action(row.on_update),
        // InnoDB parses MATCH but always behaves as MATCH SIMPLE.
        match: 'simple',
        deferrable: false,
        initiallyDeferred: false,
      }
      table.foreignKeys.push(foreignKey)
    }
    foreignKey.columns.push(row.column)
    foreignKey.parent.columns.push(row.parent_column)
  }
  return { defaultSchema, tables: [...tables.values()] }
}
