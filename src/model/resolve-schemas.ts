import type { SchemaInfo } from '../db/schema-info.js'
import type { Relation } from './relation.js'

/** The relation with each side's schema made explicit (the database's default where none is given). */
export function withSchemas(relation: Relation, schemas: Map<string, SchemaInfo>): Relation {
  const schemaOf = (database: string) => schemas.get(database)?.defaultSchema
  const childSchema = relation.child.schema ?? schemaOf(relation.child.database)
  const parentSchema = relation.parent.schema ?? schemaOf(relation.parent.database)
  return {
    ...relation,
    child: { ...relation.child, ...(childSchema ? { schema: childSchema } : {}) },
    parent: { ...relation.parent, ...(parentSchema ? { schema: parentSchema } : {}) },
  }
}

/** The schemas each database's relations name explicitly, beyond its default one. */
export function schemasByDatabase(relations: readonly Relation[]): Map<string, string[]> {
  const byDatabase = new Map<string, Set<string>>()
  for (const relation of relations) {
    for (const side of [relation.child, relation.parent]) {
      const schemas = byDatabase.get(side.database) ?? new Set<string>()
      if (side.schema) schemas.add(side.schema)
      byDatabase.set(side.database, schemas)
    }
  }
  return new Map([...byDatabase].map(([database, schemas]) => [database, [...schemas]]))
}
