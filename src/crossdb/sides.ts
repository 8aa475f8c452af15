import type { Kysely } from 'kysely'
import { keyTypeOf } from '../audit/column-types.js'
import { type ColumnInfo, findColumn, type TableInfo } from '../db/schema-info.js'
import type { DatabaseLocation } from '../db/url.js'
import type { Relation } from '../model/relation.js'
import { compareValues, type KeyValue } from './key-codec.js'
import type { KeyPlan } from './key-plan.js'

/** One database of a cross-database join: its connection, SQL family, configured name and where it is. */
export interface JoinSide {
  name: string
  db: Kysely<any>
  family: 'postgres' | 'mysql'
  location: DatabaseLocation
}

/** What the key columns of one side hold, as the SQL that reads them needs to know. */
export interface KeyColumns {
  /** Text columns: a probe join groups them by their exact bytes. */
  text: boolean[]
  /** 64-bit integer columns: sent as JSON text, since a JSON number past 2^53 loses digits. */
  wide: boolean[]
}

/** What a cross-database anti-join reads: the relation (schemas resolved), both databases, how keys compare, the page size. */
export interface CrossJoin {
  relation: Relation
  child: JoinSide
  parent: JoinSide
  plan: KeyPlan
  /** Distinct keys (merge) or keyed rows (probe) per child page; parent pages hold as many keys. */
  pageKeys: number
  childColumns: KeyColumns
  parentColumns: KeyColumns
}

/**
 * A page of distinct keys, column by column: one array per key column instead of an object per key, so a page
 * of 20,000 keys is a few arrays for the garbage collector, not 100,000 objects.
 */
export interface KeyPage {
  length: number
  /** Per key column, the values as the driver returned them: what SQL against the table uses. */
  raw: unknown[][]
  /** Per key column, the values as refguard compares them. */
  keys: KeyValue[][]
  /** Per key, the rows holding it (child pages). */
  rows: number[]
}

/** One distinct child key and how many rows hold it. */
export interface ChildKeyGroup {
  /** The key as the child's driver returned it: what SQL against the child table uses. */
  raw: unknown[]
  /** The key as refguard compares it. */
  key: KeyValue[]
  rows: number
}

/** The `i`-th key of a page as a group of its own. */
export function groupAt(page: KeyPage, i: number): ChildKeyGroup {
  return {
    raw: page.raw.map((column) => column[i]),
    key: page.keys.map((column) => column[i] as KeyValue),
    rows: page.rows[i] as number,
  }
}

/** The key at `i` of page `a` compared with the key at `j` of page `b`, column by column, in refguard's order. */
export function compareAt(a: Pick<KeyPage, 'keys'>, i: number, b: Pick<KeyPage, 'keys'>, j: number): number {
  for (let c = 0; c < a.keys.length; c++) {
    const order = compareValues(a.keys[c]?.[i] as KeyValue, b.keys[c]?.[j] as KeyValue)
    if (order !== 0) return order
  }
  return 0
}

/** A page holding these groups. */
export function pageOf(groups: ChildKeyGroup[], columns: number): KeyPage {
  return {
    length: groups.length,
    raw: Array.from({ length: columns }, (_, c) => groups.map((group) => group.raw[c])),
    keys: Array.from({ length: columns }, (_, c) => groups.map((group) => group.key[c] as KeyValue)),
    rows: groups.map((group) => group.rows),
  }
}

function keyColumnsOf(table: TableInfo, names: string[]): KeyColumns {
  const types = names.map((name) => keyTypeOf(findColumn(table, name) as ColumnInfo))
  return { text: types.map((type) => type.kind === 'string'), wide: types.map((type) => type.kind === 'integer' && type.bytes === 8) }
}

/** The cross-database join of a relation whose tables exist and whose key plan is known; `pageKeys` bounds what one page holds. */
export function crossJoinOf(
  relation: Relation,
  sides: { child: JoinSide; parent: JoinSide },
  plan: KeyPlan,
  tables: { child: TableInfo; parent: TableInfo },
  pageKeys: number,
): CrossJoin {
  return {
    relation,
    ...sides,
    plan,
    pageKeys,
    childColumns: keyColumnsOf(tables.child, relation.child.columns),
    parentColumns: keyColumnsOf(tables.parent, relation.parent.columns),
  }
}
