import type { ColumnInfo } from '../db/schema-info.js'
import type { RelationContext } from './relation-context.js'
import { identifierFor, tableNameFor } from './sql-names.js'

/** The DDL that lets a child key column hold NULL (and drops a sentinel default). */
export function nullableColumnSql(context: RelationContext, column: ColumnInfo): string {
  const name = identifierFor(context.family)
  const qualified = tableNameFor(context.family)(context.asWritten.child)
  if (context.family === 'postgres') {
    return `ALTER TABLE ${qualified} ALTER COLUMN ${name(column.name)} DROP NOT NULL, ALTER COLUMN ${name(column.name)} DROP DEFAULT`
  }
  const charset = column.charset ? ` CHARACTER SET ${column.charset} COLLATE ${column.collation}` : ''
  return `ALTER TABLE ${qualified} MODIFY ${name(column.name)} ${column.type}${charset} NULL DEFAULT NULL`
}
