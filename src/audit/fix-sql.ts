import type { Relation } from '../model/relation.js'
import { type Family, identifierFor, literalSql, tableNameFor } from './sql-names.js'

/**
 * The SQL that removes a relation's orphans, as the relation's own ON DELETE would: SET NULL sets the
 * key to NULL, every other action deletes the child rows. Shown for review; run it only after a backup.
 */
export function orphanFixSql(relation: Relation, family: Family, sentinels: Array<string | number> = []): string {
  const identifier = identifierFor(family)
  const table = tableNameFor(family)
  const child = table(relation.child)
  const parent = table(relation.parent)
  const matches = relation.child.columns
    .map((column, i) => `p.${identifier(relation.parent.columns[i] as string)} = c.${identifier(column)}`)
    .join(' AND ')
  // The same rows the check counts: MATCH SIMPLE skips keys with a NULL, MATCH FULL only all-NULL keys.
  const keyed =
    relation.match === 'simple'
      ? relation.child.columns.map((column) => `c.${identifier(column)} IS NOT NULL`).join(' AND ')
      : `NOT (${relation.child.columns.map((column) => `c.${identifier(column)} IS NULL`).join(' AND ')})`
  const filter = Object.entries(relation.child.where ?? {})
    .map(([column, value]) => `c.${identifier(column)} ${value === null ? 'IS NULL' : `= ${literalSql(value)}`}`)
    .join(' AND ')
  // Sentinel rows are missing values, not broken references: their own fix sets them NULL instead.
  const keep =
    sentinels.length > 0 ? `c.${identifier(relation.child.columns[0] as string)} NOT IN (${sentinels.map(literalSql).join(', ')})` : ''
  const condition = [keyed, filter, keep, `NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${matches})`].filter(Boolean).join(' AND ')
  if (relation.onDelete === 'set null') {
    const assignments = relation.child.columns.map((column) => `${family === 'mysql' ? 'c.' : ''}${identifier(column)} = NULL`).join(', ')
    return `UPDATE ${child} c SET ${assignments} WHERE ${condition}`
  }
  // MySQL and MariaDB only take a table alias in the multi-table form of DELETE.
  return family === 'postgres' ? `DELETE FROM ${child} c WHERE ${condition}` : `DELETE c FROM ${child} c WHERE ${condition}`
}
