import type { Relation } from '../model/relation.js'
import { ReferentialIntegrityError, type ViolatingAction } from './errors.js'
import type { KeyTuple } from './keys.js'

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (value instanceof Date) return value.toISOString()
  return String(value)
}

function keyText(columns: string[], tuple: KeyTuple): string {
  return `(${columns.join(', ')})=(${tuple.map(formatValue).join(', ')})`
}

function keyObject(columns: string[], tuple: KeyTuple): Record<string, unknown> {
  return Object.fromEntries(columns.map((column, i) => [column, tuple[i]]))
}

/** A child write whose key has no parent, worded like PostgreSQL's own message. */
export function missingParentError(relation: Relation, tuple: KeyTuple, action: ViolatingAction): ReferentialIntegrityError {
  const table = relation.child.table
  return new ReferentialIntegrityError(
    `insert or update on table "${table}" violates relation "${relation.name}": key ${keyText(relation.child.columns, tuple)} is not present in table "${relation.parent.table}"`,
    { relation: relation.name, table, key: keyObject(relation.child.columns, tuple), action, sqlState: '23503' },
  )
}

/** A MATCH FULL key that mixes NULL and non-NULL values. */
export function matchFullError(relation: Relation, tuple: KeyTuple, action: ViolatingAction): ReferentialIntegrityError {
  const table = relation.child.table
  return new ReferentialIntegrityError(
    `insert or update on table "${table}" violates relation "${relation.name}": MATCH FULL does not allow mixing of null and nonnull key values`,
    { relation: relation.name, table, key: keyObject(relation.child.columns, tuple), action, sqlState: '23503' },
  )
}

/** A parent delete or key update that children still reference. */
export function stillReferencedError(relation: Relation, tuple: KeyTuple, action: ViolatingAction): ReferentialIntegrityError {
  const table = relation.parent.table
  return new ReferentialIntegrityError(
    `update or delete on table "${table}" violates relation "${relation.name}" on table "${relation.child.table}": key ${keyText(relation.parent.columns, tuple)} is still referenced from table "${relation.child.table}"`,
    { relation: relation.name, table, key: keyObject(relation.parent.columns, tuple), action, sqlState: '23503' },
  )
}

/** A check the transaction's snapshot cannot make soundly: retrying the transaction resolves it. */
export function serializationError(relation: Relation, tuple: KeyTuple, action: ViolatingAction): ReferentialIntegrityError {
  const table = relation.parent.table
  return new ReferentialIntegrityError(
    `could not serialize access: relation "${relation.name}": a row of "${relation.child.table}" referencing ${keyText(relation.parent.columns, tuple)} was committed by a concurrent transaction this transaction's snapshot cannot see; retry the transaction`,
    { relation: relation.name, table, key: keyObject(relation.parent.columns, tuple), action, sqlState: '40001' },
  )
}
