import type { Finding } from '../audit/finding.js'
import { actionNullabilityFindings } from '../audit/findings/nullability.js'
import { parentNotUniqueFindings } from '../audit/findings/parent-not-unique.js'
import { findColumn, findTable, type SchemaInfo, type TableInfo } from '../db/schema-info.js'
import { didYouMean } from '../util/suggest.js'
import { qualifiedName, type Relation, type TableRef } from './relation.js'

/** Problems that make a relation impossible to query: its tables or columns do not exist. */
export const BLOCKING_KINDS = new Set<Finding['kind']>(['unknown-table', 'unknown-column'])

/** The table as the user would write it: without the schema when it is the default one. */
function displayName(ref: TableRef, schema: SchemaInfo): string {
  return ref.schema === schema.defaultSchema ? ref.table : qualifiedName(ref)
}

function tableNames(schema: SchemaInfo, ref: TableRef): string[] {
  const wanted = ref.schema ?? schema.defaultSchema
  return schema.tables.filter((table) => table.schema === wanted).map((table) => table.name)
}

function checkColumns(relation: Relation, side: 'child' | 'parent', table: TableInfo, columns: string[], schema: SchemaInfo): Finding[] {
  const names = table.columns.map((column) => column.name)
  return columns
    .filter((column) => !findColumn(table, column))
    .map((column) => ({
      kind: 'unknown-column' as const,
      severity: 'error' as const,
      relation: relation.name,
      message: `relation "${relation.name}": ${side} table "${displayName(relation[side], schema)}" has no column "${column}"${didYouMean(column, names)}`,
      fix: `correct the column name in relation "${relation.name}" (columns of ${table.name}: ${names.join(', ')})`,
    }))
}

/** `unknown-table` / `unknown-column`: the relation names a table or column the database does not have. */
export function unknownReferenceFindings(relation: Relation, childSchema: SchemaInfo, parentSchema: SchemaInfo): Finding[] {
  const findings: Finding[] = []
  const sides = [
    ['child', relation.child, childSchema],
    ['parent', relation.parent, parentSchema],
  ] as const
  const tables: Partial<Record<'child' | 'parent', TableInfo>> = {}
  for (const [side, ref, schema] of sides) {
    const table = findTable(schema, ref)
    if (!table) {
      findings.push({
        kind: 'unknown-table',
        severity: 'error',
        relation: relation.name,
        message: `relation "${relation.name}": ${side} table "${displayName(ref, schema)}" does not exist in database "${ref.database}"${didYouMean(ref.table, tableNames(schema, ref))}`,
        fix: `correct the ${side} table of relation "${relation.name}", or create the table`,
      })
    } else tables[side] = table
  }
  const { child, parent } = tables
  const childColumns = [...relation.child.columns, ...Object.keys(relation.child.where ?? {})]
  if (child) findings.push(...checkColumns(relation, 'child', child, childColumns, childSchema))
  if (parent) findings.push(...checkColumns(relation, 'parent', parent, relation.parent.columns, parentSchema))
  return findings
}

/** Checks one relation against the live schemas of its child and parent databases: what enforcement cannot work without. */
export function validateRelation(relation: Relation, childSchema: SchemaInfo, parentSchema: SchemaInfo): Finding[] {
  const unknown = unknownReferenceFindings(relation, childSchema, parentSchema)
  if (unknown.length > 0) return unknown
  const context = {
    relation,
    asWritten: relation,
    child: findTable(childSchema, relation.child) as TableInfo,
    parent: findTable(parentSchema, relation.parent) as TableInfo,
  }
  return [...parentNotUniqueFindings(context), ...actionNullabilityFindings(context)]
}
