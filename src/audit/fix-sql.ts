import type { Relation, TableRef } from '../model/relation.js'

type Family = 'postgres' | 'mysql'

/** An identifier as a person would type it: bare when it is a plain lower-case name, quoted for the engine otherwise. */
function identifierFor(family: Family): (name: string) => string {
  const quote = family === 'postgres' ? '"' : '`'
  return (name) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `${quote}${name.split(quote).join(quote + quote)}${quote}`)
}

/**
 * The SQL that removes a relation's orphans, as the relation's own ON DELETE would: SET NULL sets the
 * key to NULL, every other action deletes the child rows. Shown for review; run it only after a backup.
 */
export function orphanFixSql(relation: Relation, family: Family): string {
  const identifier = identifierFor(family)
  const table = (side: TableRef) =>
    [side.schema, side.table]
      .filter((part): part is string => Boolean(part))
      .map(identifier)
      .join('.')
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
    .map(
      ([column, value]) =>
        `c.${identifier(column)} ${value === null ? 'IS NULL' : `= ${typeof value === 'string' ? `'${value.replace(/'/g, "''")}'` : String(value)}`}`,
    )
    .join(' AND ')
  const condition = [keyed, filter, `NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${matches})`].filter(Boolean).join(' AND ')
  if (relation.onDelete === 'set null') {
    const assignments = relation.child.columns.map((column) => `${family === 'mysql' ? 'c.' : ''}${identifier(column)} = NULL`).join(', ')
    return `UPDATE ${child} c SET ${assignments} WHERE ${condition}`
  }
  // MySQL and MariaDB only take a table alias in the multi-table form of DELETE.
  return family === 'postgres' ? `DELETE FROM ${child} c WHERE ${condition}` : `DELETE c FROM ${child} c WHERE ${condition}`
}
