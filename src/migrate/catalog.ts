import { sql } from 'kysely'
import type { Database } from '../db/connect.js'
import { readTableParents } from '../db/table-parents.js'

/** A constraint of any kind, as the catalog names it. */
export interface CatalogConstraint {
  schema: string
  table: string
  name: string
  foreignKey: boolean
  /** False for a PostgreSQL FOREIGN KEY added NOT VALID and not yet validated. */
  validated: boolean
}

/** What migrating needs to know beyond `introspect()`: table inheritance and every constraint name. */
export interface MigrationCatalog {
  /** Each inheritance child or partition (`schema.table`) -> its parent table; empty on MySQL. */
  tableParents: Map<string, string>
  /** PostgreSQL declaratively partitioned tables (`schema.table`): their FKs reach every partition by themselves. */
  partitioned: Set<string>
  constraints: CatalogConstraint[]
  /** Names of tables, views, indexes and sequences per schema: a PostgreSQL index name must differ from all of them. */
  relationNames: Set<string>
}

/** `schema.table`, the key the catalog maps use. */
export function tableKey(schema: string, table: string): string {
  return `${schema}.${table}`
}

async function readPostgresCatalog(database: Database): Promise<MigrationCatalog> {
  const userSchemas = sql`n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'`
  const constraints = await sql<{ schema: string; table: string; name: string; type: string; validated: boolean }>`
    select n.nspname as schema, c.relname as table, con.conname as name, con.contype as type, con.convalidated as validated
    from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
    where ${userSchemas}`.execute(database.db)
  const relations = await sql<{ schema: string; name: string; kind: string }>`
    select n.nspname as schema, c.relname as name, c.relkind as kind
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${userSchemas}`.execute(database.db)
  return {
    tableParents: await readTableParents(database),
    partitioned: new Set(relations.rows.filter((row) => row.kind === 'p').map((row) => tableKey(row.schema, row.name))),
    constraints: constraints.rows.map((row) => ({
      schema: row.schema,
      table: row.table,
      name: row.name,
      foreignKey: row.type === 'f',
      validated: row.validated,
    })),
    relationNames: new Set(relations.rows.map((row) => tableKey(row.schema, row.name))),
  }
}

async function readMysqlCatalog(database: Database, schemas: string[]): Promise<MigrationCatalog> {
  const current = await sql<{ schema: string }>`select database() as \`schema\``.execute(database.db)
  const wanted = [...new Set([current.rows[0]?.schema as string, ...schemas])]
  const constraints = await sql<{ schema: string; table: string; name: string; type: string }>`
    select constraint_schema as \`schema\`, table_name as \`table\`, constraint_name as name, constraint_type as type
    from information_schema.table_constraints
    where constraint_schema in (${sql.join(wanted.map((schema) => sql.lit(schema)))})`.execute(database.db)
  return {
    tableParents: new Map(),
    partitioned: new Set(),
    constraints: constraints.rows.map((row) => ({
      schema: row.schema,
      table: row.table,
      name: row.name,
      foreignKey: row.type === 'FOREIGN KEY',
      validated: true,
    })),
    relationNames: new Set(),
  }
}

/** Reads inheritance, partitioning and constraint names of a database (`schemas` adds MySQL databases beyond the current one). */
export function readCatalog(database: Database, schemas: string[] = []): Promise<MigrationCatalog> {
  return database.dialect.family === 'postgres' ? readPostgresCatalog(database) : readMysqlCatalog(database, schemas)
}

/** Every table below `key` in the inheritance tree (children, their children, ...). */
export function descendantsOf(catalog: MigrationCatalog, key: string): string[] {
  const children = [...catalog.tableParents].filter(([, parent]) => parent === key).map(([child]) => child)
  return children.flatMap((child) => [child, ...descendantsOf(catalog, child)])
}
