import type { TableRef } from '../model/relation.js'

/** The SQL families whose syntax differs in fix suggestions. */
export type Family = 'postgres' | 'mysql'

/** An identifier as a person would type it: bare when it is a plain lower-case name, quoted for the engine otherwise. */
export function identifierFor(family: Family): (name: string) => string {
  const quote = family === 'postgres' ? '"' : '`'
  return (name) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `${quote}${name.split(quote).join(quote + quote)}${quote}`)
}

/** A table name for a fix suggestion: `schema.table`, each part quoted only when it must be. */
export function tableNameFor(family: Family): (ref: Pick<TableRef, 'schema' | 'table'>) => string {
  const identifier = identifierFor(family)
  return (ref) =>
    [ref.schema, ref.table]
      .filter((part): part is string => Boolean(part))
      .map(identifier)
      .join('.')
}

/** A literal for a fix suggestion: numbers bare, strings single-quoted with quotes doubled. */
export function literalSql(value: string | number | boolean | null): string {
  if (value === null) return 'NULL'
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`
  return String(value)
}
