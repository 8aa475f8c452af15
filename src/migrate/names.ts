import type { Relation } from '../model/relation.js'

/** The longest identifier each engine keeps: PostgreSQL truncates past 63 bytes, MySQL refuses past 64 characters. */
export function identifierTooLong(family: 'postgres' | 'mysql', name: string): string | undefined {
  if (family === 'postgres' && Buffer.byteLength(name) > 63)
    return `PostgreSQL keeps 63 bytes of a name, and "${name}" has ${Buffer.byteLength(name)}`
  if (family === 'mysql' && [...name].length > 64) return `MySQL allows names of 64 characters, and "${name}" has ${[...name].length}`
  return undefined
}

/**
 * The relation name for a foreign key: its constraint name, or `table.constraint` when that is taken. PostgreSQL
 * constraint names are unique per table, relation names per config, so two tables may each have an `fk_customer`.
 */
export function relationNameFor(table: string, constraint: string, taken: (name: string) => boolean): string {
  return taken(constraint) ? `${table}.${constraint}` : constraint
}

/** The constraint a relation becomes: its name, less the `table.` prefix that `relationNameFor` adds. */
export function constraintNameOf(relation: Pick<Relation, 'name' | 'child'>): string {
  const prefix = `${relation.child.table}.`
  return relation.name.startsWith(prefix) && relation.name.length > prefix.length ? relation.name.slice(prefix.length) : relation.name
}

/** PostgreSQL's name for a constraint it names itself: `table_col1_col2_fkey`, with a number added while `taken`. */
export function defaultConstraintName(table: string, columns: string[], taken: (name: string) => boolean): string {
  return numbered(`${table}_${columns.join('_')}`, '_fkey', taken)
}

/** A name for the index on a child key, `table_col_idx`, shortened to fit and numbered while `taken`. */
export function indexNameFor(table: string, columns: string[], taken: (name: string) => boolean): string {
  return numbered(`${table}_${columns.join('_')}`, '_idx', taken)
}

function numbered(base: string, suffix: string, taken: (name: string) => boolean): string {
  for (let n = 0; ; n += 1) {
    const tail = `${suffix}${n === 0 ? '' : n}`
    const name = `${truncateBytes(base, 63 - Buffer.byteLength(tail))}${tail}`
    if (!taken(name)) return name
  }
}

function truncateBytes(text: string, bytes: number): string {
  let result = ''
  for (const char of text) {
    if (Buffer.byteLength(result + char) > bytes) break
    result += char
  }
  return result
}
