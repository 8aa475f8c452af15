import type { ColumnInfo } from '../db/schema-info.js'

/** The kinds of value a key column holds: keys of different kinds never compare without a cast. */
export type TypeKind = 'integer' | 'decimal' | 'float' | 'string' | 'binary' | 'uuid' | 'date' | 'datetime' | 'time' | 'boolean' | 'other'

/** A column type reduced to what decides whether a child column can hold and compare every parent key. */
export interface KeyType {
  kind: TypeKind
  /** Integer width in bytes. */
  bytes?: number
  unsigned?: boolean
  /** Maximum string length; undefined for unbounded text. */
  length?: number
  /** `char` pads with spaces, `varchar` does not. */
  padded?: boolean
  precision?: number
  scale?: number
  /** Timestamps with a time zone compare as instants, without one as wall-clock values. */
  withTimeZone?: boolean
}

const INTEGER_BYTES: Record<string, number> = {
  tinyint: 1,
  smallint: 2,
  int2: 2,
  mediumint: 3,
  int: 4,
  integer: 4,
  int4: 4,
  bigint: 8,
  int8: 8,
}

const KINDS: Array<[RegExp, TypeKind]> = [
  [/^(numeric|decimal)/, 'decimal'],
  [/^(real|double|float)/, 'float'],
  [/^(character varying|varchar|character|char|bpchar|text|tinytext|mediumtext|longtext|citext|name)/, 'string'],
  [/^(bytea|binary|varbinary|blob|tinyblob|mediumblob|longblob)/, 'binary'],
  [/^uuid/, 'uuid'],
  [/^date$/, 'date'],
  [/^(timestamp|datetime)/, 'datetime'],
  [/^time\b/, 'time'],
  [/^(boolean|bool)/, 'boolean'],
]

function numbersIn(type: string): number[] {
  const inside = /\(([\d,\s]+)\)/.exec(type)?.[1]
  return inside ? inside.split(',').map((part) => Number(part.trim())) : []
}

/** Reads a column's declared type (`int(10) unsigned`, `character varying(40)`, `numeric(10,2)`, ...). */
export function keyTypeOf(column: ColumnInfo): KeyType {
  const type = column.type.toLowerCase().trim()
  const name = /^[a-z ]+?(?=\(|$| unsigned| zerofill| with| without|\[)/.exec(type)?.[0]?.trim() ?? type
  const bytes = INTEGER_BYTES[name]
  if (bytes !== undefined) return { kind: 'integer', bytes, unsigned: /\bunsigned\b/.test(type) }
  const kind = KINDS.find(([pattern]) => pattern.test(name))?.[1] ?? 'other'
  const [first, second] = numbersIn(type)
  switch (kind) {
    case 'decimal':
      return { kind, ...(first !== undefined ? { precision: first, scale: second ?? 0 } : {}) }
    case 'string':
      return { kind, padded: /^(character|char|bpchar)$/.test(name), ...(first !== undefined ? { length: first } : {}) }
    case 'datetime':
      return { kind, withTimeZone: /with time zone|timestamptz/.test(type) }
    case 'float':
      return { kind, bytes: /^(real|float4)$/.test(name) || name === 'float' ? 4 : 8 }
    default:
      return { kind }
  }
}

/** The largest value an integer type holds. */
export function integerMax(type: KeyType): bigint {
  const bits = BigInt(8 * (type.bytes ?? 8) - (type.unsigned ? 0 : 1))
  return 2n ** bits - 1n
}

const NUMERIC_KINDS = new Set<TypeKind>(['integer', 'decimal', 'float'])

/** Whether PostgreSQL can compare values of the two types without a cast (MySQL converts implicitly). */
export function comparable(a: KeyType, b: KeyType): boolean {
  return a.kind === b.kind || (NUMERIC_KINDS.has(a.kind) && NUMERIC_KINDS.has(b.kind))
}
