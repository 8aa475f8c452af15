import type { RelationInput } from '../config/types.js'
import type { ForeignKeyInfo, SchemaInfo, TableInfo } from '../db/schema-info.js'
import { behaviourDifferences, foreignKeyLinks } from './behaviour.js'
import { tableKey } from './catalog.js'

/** An inheritance child's foreign key that a relation of an ancestor table stands for. */
export interface CoveredForeignKey {
  name: string
  /** The inheritance child, `schema.table`. */
  table: string
  /** The ancestor's relation, which refguard applies to the child's rows too. */
  relation: string
  /** How that relation acts differently from the child's own constraint (`on delete: no action -> set null`); empty when alike. */
  differences: string[]
}

/** The relations a database's declared foreign keys amount to, and the FKs left out because another covers them. */
export interface RelationsFromForeignKeys {
  relations: RelationInput[]
  /** Names of inheritance-child FKs whose ancestor table declares the same link. */
  covered: string[]
  /** The same FKs with the relation that covers each and how it differs. */
  coverage: CoveredForeignKey[]
}

/** A declared foreign key together with the table that declares it. */
export interface DeclaredForeignKey {
  table: TableInfo
  foreignKey: ForeignKeyInfo
}

/** The FK of the farthest ancestor that declares the same link as `foreignKey`: the one that becomes a relation. */
function coveringForeignKey(table: TableInfo, foreignKey: ForeignKeyInfo, schema: SchemaInfo, parents: Map<string, string>) {
  let covering: ForeignKeyInfo | undefined
  for (let key = parents.get(tableKey(table.schema, table.name)); key; key = parents.get(key)) {
    const ancestor = schema.tables.find((candidate) => tableKey(candidate.schema, candidate.name) === key)
    const match = ancestor?.foreignKeys.find((candidate) =>
      foreignKeyLinks(candidate, foreignKey.parent, foreignKey.columns, foreignKey.parent.columns),
    )
    covering = match ?? covering
  }
  return covering
}

/** The relation a declared foreign key amounts to: same name, columns, actions, MATCH and deferrability. */
export function relationFromForeignKey(table: TableInfo, foreignKey: ForeignKeyInfo, defaultSchema: string): RelationInput {
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

/** Every foreign key the schema declares, with its table. */
export function declaredForeignKeys(schema: SchemaInfo): DeclaredForeignKey[] {
  return schema.tables.flatMap((table) => table.foreignKeys.map((foreignKey) => ({ table, foreignKey })))
}

/**
 * One relation per declared foreign key (table inheritance, and so coverage, exists on PostgreSQL only), named after its constraint. An inheritance child's FK is left out when
 * an ancestor table declares the same link: refguard reads a table without ONLY, so the ancestor's relation
 * already counts and acts on every child row, and a relation per child would count those rows twice.
 * (PostgreSQL needs the child FKs because an inherited table does not inherit FKs; FKs that declarative
 * partitioning clones onto partitions never reach here, introspection skips them.)
 */
export function relationsFromForeignKeys(schema: SchemaInfo, tableParents: Map<string, string>): RelationsFromForeignKeys {
  const relations: RelationInput[] = []
  const coverage: CoveredForeignKey[] = []
  for (const { table, foreignKey } of declaredForeignKeys(schema)) {
    const covering = coveringForeignKey(table, foreignKey, schema, tableParents)
    if (!covering) relations.push(relationFromForeignKey(table, foreignKey, schema.defaultSchema))
    else {
      coverage.push({
        name: foreignKey.name,
        table: tableKey(table.schema, table.name),
        relation: covering.name,
        differences: behaviourDifferences(foreignKey, covering, foreignKey.columns, 'postgres'),
      })
    }
  }
  return { relations, covered: coverage.map((entry) => entry.name), coverage }
}
