import { type KeyType, keyTypeOf } from '../audit/column-types.js'
import type { ColumnInfo } from '../db/schema-info.js'

/** A key column's value as refguard compares it across engines: integers as numbers (bigint past 2^53), the rest as strings. */
export type KeyValue = number | bigint | string

/** How the values of one child column and its parent column are made comparable in JavaScript. */
export interface ColumnCodec {
  /** `integer`: numeric order; `uuid`: lower-case canonical text; `string`: exact text in code point order. */
  kind: 'integer' | 'uuid' | 'string'
  /** A driver's value (number, numeric string, bigint, text) as a comparable KeyValue. */
  normalize(value: unknown): KeyValue
  /** The values to look a child key up by in the parent column; none when the parent column cannot hold it. */
  probeValues(value: KeyValue): unknown[]
  /** The PostgreSQL array element type a parent probe casts its parameter to. */
  probeType: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function integerValue(value: unknown): KeyValue {
  if (typeof value === 'number' || typeof value === 'bigint') return value
  const text = String(value)
  const number = Number(text)
  return Number.isSafeInteger(number) ? number : BigInt(text)
}

/** Orders two key values: numbers (and bigints) numerically, strings by Unicode code point. */
export function compareValues(a: KeyValue, b: KeyValue): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b)
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Code point order, which is UTF-8 byte order (PostgreSQL's "C" collation, MySQL's binary comparison). JavaScript's
 * `<` compares UTF-16 code units, which puts astral characters (surrogate pairs) before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (0xD800..0xDFFF) encode code points above 0xFFFF: move them above 0xE000..0xFFFF.
      return (x < 0xe000 ? x + 0x2000 : x) - (y < 0xe000 ? y + 0x2000 : y)
    }
    return x - y
  }
  return a.length - b.length
}

/** A string identity for a key, for sets and maps (bigints and numbers of the same value agree: see `integerValue`). */
export function keyId(key: readonly KeyValue[]): string {
  return key.length === 1 && typeof key[0] === 'number' ? String(key[0]) : JSON.stringify(key.map((value) => String(value)))
}

function integerCodec(): ColumnCodec {
  return {
    kind: 'integer',
    normalize: integerValue,
    probeValues: (value) => [typeof value === 'bigint' ? value.toString() : value],
    probeType: 'bigint',
  }
}

/** Trailing spaces of CHAR(n) values are padding, not data, on both engines. */
function stringCodec(padded: boolean): ColumnCodec {
  const normalize = padded ? (value: unknown) => String(value).replace(/ +$/, '') : (value: unknown) => String(value)
  return { kind: 'string', normalize, probeValues: (value) => [value], probeType: padded ? 'bpchar' : 'text' }
}

/**
 * uuid on one side, uuid or text on the other: compared as lower-case canonical text. A text parent column that
 * compares case-sensitively is probed in both cases; a uuid parent column is not asked for text that is no uuid.
 */
function uuidCodec(parent: ColumnInfo, parentType: KeyType): ColumnCodec {
  const parentIsUuid = parentType.kind === 'uuid'
  const caseInsensitive = /_ci$/.test(parent.collation ?? '')
  return {
    kind: 'uuid',
    normalize: (value) => String(value).trim().toLowerCase(),
    probeValues: (value) => {
      const text = String(value)
      if (parentIsUuid) return UUID.test(text) ? [text] : []
      return caseInsensitive ? [text] : [text, text.toUpperCase()]
    },
    probeType: parentIsUuid ? 'uuid' : 'text',
  }
}

/** Why a pair of key columns cannot be compared across databases, and what to do. */
export interface KeyProblem {
  problem: string
  fix: string
}

/** The child/parent column pair as `orders.customer_id (int) and customers.id (uuid)`. */
export interface ColumnPair {
  child: ColumnInfo
  parent: ColumnInfo
  childTable: string
  parentTable: string
}

function describePair(pair: ColumnPair): string {
  return `${pair.childTable}.${pair.child.name} (${pair.child.type}) and ${pair.parentTable}.${pair.parent.name} (${pair.parent.type})`
}

const SUPPORTED = 'integers (any width), uuid, and text (char, varchar, text; uuid against text holding uuids)'

/**
 * The codec for one column pair of a cross-database relation, or why there is none. No engine sees both
 * tables, so refguard compares the keys itself, and only types whose values compare the same everywhere.
 */
export function codecFor(pair: ColumnPair): ColumnCodec | KeyProblem {
  const child = keyTypeOf(pair.child)
  const parent = keyTypeOf(pair.parent)
  if (child.kind === 'integer' && parent.kind === 'integer') return integerCodec()
  if ((child.kind === 'uuid' || child.kind === 'string') && (parent.kind === 'uuid' || parent.kind === 'string')) {
    if (child.kind === 'uuid' || parent.kind === 'uuid') return uuidCodec(pair.parent, parent)
    return stringCodec(Boolean(child.padded || parent.padded))
  }
  if (child.kind !== parent.kind) {
    return {
      problem: `${describePair(pair)} hold different kinds of value (${child.kind} and ${parent.kind}), and no engine sees both tables to convert one into the other`,
      fix: `give both columns the same kind of type: ${SUPPORTED}`,
    }
  }
  return {
    problem: `${describePair(pair)} are ${child.kind} keys, which refguard does not compare across databases`,
    fix: `cross-database relations support ${SUPPORTED}; keep this relation inside one database`,
  }
}
