import type { SchemaInfo } from '../../src/db/schema-info.js'

/** Every declared FOREIGN KEY as the round trip must keep it: table, name, columns, parent, actions, MATCH, deferrability. */
export function declaredForeignKeys(schema: SchemaInfo) {
  return schema.tables
    .flatMap((table) =>
      table.foreignKeys.map((foreignKey) => ({
        table: table.name,
        ...foreignKey,
        parent: { table: foreignKey.parent.table, columns: foreignKey.parent.columns },
      })),
    )
    .sort((a, b) => `${a.table}.${a.name}`.localeCompare(`${b.table}.${b.name}`))
}
