import { sql } from 'kysely'
import type { RelationInput } from '../../src/config/types.js'
import type { Database } from '../../src/db/connect.js'
import type { ForeignKeyInfo, SchemaInfo, TableInfo } from '../../src/db/schema-info.js'

/** The relations a database's declared foreign keys amount to, and the FKs left out because another covers them. */
export interface RelationsFromForeignKeys {
  relations: RelationInput[]
  /** Names of partition FKs whose parent table declares the same FK. */
  covered: string[]
}

function tableKey(schema: string, table: string): string {
  return `${schema}.${table}`
}

/** Each table that inherits from another (PostgreSQL inheritance children and partitions), as `schema.table` -> parent; none on MySQL. */
export async function readTableParents(database: Database): Promise<Map<string, string>> {
  if (database.dialect.family !== 'postgres') return new Map()
  const result = await sql<{ child_schema: string; child: string; parent_schema: string; parent: string }>`
    select cn.nspname as child_schema, c.relname as child, pn.nspname as parent_schema, p.relname as parent
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid join pg_namespace cn on cn.oid = c.relnamespace
    join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace`.execute(database.db)
  return new Map(result.rows.map((row) => [tableKey(row.child_schema, row.child), tableKey(row.parent_schema, row.parent)]))
}

function sameForeignKey(a: ForeignKeyInfo, b: ForeignKeyInfo): boolean {
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((value, i) => value === y[i])
  return (
    same(a.columns, b.columns) &&
    a.parent.schema === b.parent.schema &&
    a.parent.table === b.parent.table &&
    same(a.parent.columns, b.parent.columns)
  )
}

/** Whether an ancestor of `table` declares the same foreign key. */
function coveredByAncestor(table: TableInfo, foreignKey: ForeignKeyInfo, schema: SchemaInfo, parents: Map<string, string>): boolean {
  for (let key = parents.get(tableKey(table.schema, table.name)); key; key = parents.get(key)) {
    const ancestor = schema.tables.find((candidate) => tableKey(candidate.schema, candidate.name) === key)
    if (ancestor?.foreignKeys.some((candidate) => sameForeignKey(candidate, foreignKey))) return true
  }
  return false
}

function toRelation(table: TableInfo, foreignKey: ForeignKeyInfo, defaultSchema: string): RelationInput {
  if (foreignKey.match === 'partial') throw new Error(`foreign key "${foreignKey.name}" is MATCH PARTIAL, which refguard does not model`)
  const schemaOf = (name: string) => (name === defaultSchema ? {} : { schema: name })
  return {
    name: foreignKey.name,
    child: { ...schemaOf(table.schema), table: table.name, columns: [...foreignKey.columns] },
    parent: { ...schemaOf(foreignKey.parent.schema), table: foreignKey.parent.table, columns: [...foreignKey.parent.columns] },
    onDelete: foreignKey.onDelete,
    onUpdate: foreignKey.onUpdate,
    ...(foreignKey.onDeleteSetColumns ? { onDeleteSetColumns: [...foreignKey.onDeleteSetColumns] } : {}),
    match: foreignKey.match,
    deferrable: foreignKey.deferrable,
    initiallyDeferred: foreignKey.initiallyDeferred,
  }
}

/**
 * One relation per declared foreign key, named after its constraint. A partition's FK is left out when
 * its parent table declares the same one: refguard reads a table without ONLY, so the parent's relation
 * already counts every partition row, and a relation per partition would count those rows twice.
 * (PostgreSQL needs the partition FKs because an inherited table does not inherit FKs; FKs that
 * declarative partitioning clones onto partitions never reach here, introspection skips them.)
 */
export function relationsFromForeignKeys(schema: SchemaInfo, tableParents: Map<string, string>): RelationsFromForeignKeys {
  const relations: RelationInput[] = []
  const covered: string[] = []
  for (const table of schema.tables) {
    for (const foreignKey of table.foreignKeys) {
      if (coveredByAncestor(table, foreignKey, schema, tableParents)) covered.push(foreignKey.name)
      else relations.push(toRelation(table, foreignKey, schema.defaultSchema))
    }
  }
  return { relations, covered }
}
