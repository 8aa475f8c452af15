import type { ForeignKeyInfo } from '../db/schema-info.js'
import type { ReferentialAction } from '../model/relation.js'

/** What a foreign key does, beyond which columns it links: the parts a migration must keep. */
export type Behaviour = Pick<ForeignKeyInfo, 'onDelete' | 'onUpdate' | 'onDeleteSetColumns' | 'match' | 'deferrable' | 'initiallyDeferred'>

/** The child -> parent column pairs, in a canonical order: `(a, b) -> (x, y)` links the same as `(b, a) -> (y, x)`. */
function columnPairs(child: string[], parent: string[]): string {
  return JSON.stringify(child.map((column, i) => [column, parent[i]]).sort())
}

/** Whether two foreign keys (or a relation and a foreign key) link the same child columns to the same parent columns. */
export function sameColumns(a: { child: string[]; parent: string[] }, b: { child: string[]; parent: string[] }): boolean {
  return columnPairs(a.child, a.parent) === columnPairs(b.child, b.parent)
}

/** Whether a declared foreign key links the given child columns to the given parent table and columns. */
export function foreignKeyLinks(
  foreignKey: ForeignKeyInfo,
  parent: { schema: string; table: string },
  child: string[],
  parentColumns: string[],
) {
  return (
    foreignKey.parent.schema === parent.schema &&
    foreignKey.parent.table === parent.table &&
    sameColumns({ child: foreignKey.columns, parent: foreignKey.parent.columns }, { child, parent: parentColumns })
  )
}

/** The columns an ON DELETE SET NULL/DEFAULT sets, canonically: a list of every key column is the same as none. */
function setColumns(behaviour: Behaviour, childColumns: string[]): string {
  const listed = [...(behaviour.onDeleteSetColumns ?? [])].sort()
  const all = [...childColumns].sort()
  return JSON.stringify(listed.length === all.length && listed.every((column, i) => column === all[i]) ? [] : listed)
}

/** InnoDB checks NO ACTION at once, exactly like RESTRICT; PostgreSQL checks it at the end of the statement (or at commit). */
function sameAction(a: ReferentialAction, b: ReferentialAction, family: 'postgres' | 'mysql'): boolean {
  const canonical = (action: ReferentialAction) => (family === 'mysql' && action === 'no action' ? 'restrict' : action)
  return canonical(a) === canonical(b)
}

/** The parts of `b` that differ from `a` on the engine, in words (`on delete: cascade -> restrict`); empty when they behave alike. */
export function behaviourDifferences(a: Behaviour, b: Behaviour, childColumns: string[], family: 'postgres' | 'mysql'): string[] {
  const differences: string[] = []
  if (!sameAction(a.onDelete, b.onDelete, family) || setColumns(a, childColumns) !== setColumns(b, childColumns)) {
    differences.push(
      `on delete: ${describeAction(a.onDelete, a.onDeleteSetColumns)} -> ${describeAction(b.onDelete, b.onDeleteSetColumns)}`,
    )
  }
  if (!sameAction(a.onUpdate, b.onUpdate, family)) differences.push(`on update: ${a.onUpdate} -> ${b.onUpdate}`)
  if (a.match !== b.match) differences.push(`match: ${a.match} -> ${b.match}`)
  if (a.deferrable !== b.deferrable || a.initiallyDeferred !== b.initiallyDeferred) {
    differences.push(`deferrable: ${describeDeferral(a)} -> ${describeDeferral(b)}`)
  }
  return differences
}

function describeAction(action: ReferentialAction, columns?: string[]): string {
  return columns && columns.length > 0 ? `${action} (${columns.join(', ')})` : action
}

function describeDeferral(behaviour: Behaviour): string {
  if (!behaviour.deferrable) return 'not deferrable'
  return behaviour.initiallyDeferred ? 'initially deferred' : 'initially immediate'
}
