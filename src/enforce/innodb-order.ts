import type { IndexInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import type { PreimageRow } from './preimage.js'
import type { TableFacts } from './schema-facts.js'

/** Constraint names in InnoDB's order: `strcmp`, by code unit, not by locale (`t10` before `t1_x`, `aB` before `a_b`). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * A table's indexes in InnoDB's order, as MariaDB/MySQL sort them at CREATE TABLE: the primary key, then unique
 * keys without nullable columns, other unique keys, the rest; within a group, the catalog's order. InnoDB keeps
 * the order of declaration within a group and appends indexes added later; the catalog tells neither.
 */
function innodbIndexOrder(facts: TableFacts): IndexInfo[] {
  const group = (index: IndexInfo): number => {
    if (index.primary) return 0
    if (!index.unique) return 3
    return index.columns.some((column) => column !== null && facts.nullable.has(column)) ? 2 : 1
  }
  return [...facts.indexes].sort((a, b) => group(a) - group(b))
}

/** The position of the index InnoDB uses for a relation's parent columns: the first one that starts with them. */
function referencedIndex(indexes: IndexInfo[], columns: string[]): number {
  const wanted = new Set(columns)
  const position = indexes.findIndex(
    (index) =>
      index.columns.length >= wanted.size && index.columns.slice(0, wanted.size).every((column) => column !== null && wanted.has(column)),
  )
  return position === -1 ? indexes.length : position
}

/**
 * A parent table's relations in the order InnoDB acts on them for one row: index by index, as it removes the
 * row from each index (the primary key first), and by constraint name among the relations of one index.
 */
export function innodbRelationOrder(facts: TableFacts | undefined, relations: Relation[]): Relation[] {
  const indexes = facts ? innodbIndexOrder(facts) : []
  const ranked = relations.map((relation) => ({ relation, index: referencedIndex(indexes, relation.parent.columns) }))
  ranked.sort((a, b) => a.index - b.index || compareNames(a.relation.name, b.relation.name))
  return ranked.map(({ relation }) => relation)
}

/** Orders rows by identity as a primary-key index does (a table scan's order): numbers by value, everything else as text. */
export function compareIdentities(a: PreimageRow, b: PreimageRow): number {
  for (let i = 0; i < a.identity.length; i++) {
    const [x, y] = [a.identity[i], b.identity[i]]
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))
    if (order !== 0) return order
  }
  return 0
}
