import { type KeyType, keyTypeOf } from '../audit/column-types.js'
import type { ColumnInfo } from '../db/schema-info.js'

/** How well a child column's type fits a parent key's: `same` type, the same kind of value (`compatible`), or neither. */
export type TypeFit = 'same' | 'compatible' | 'incompatible'

/** Whether a column's values can be keys at all: whole numbers, strings, UUIDs, binary strings; never floats, dates, booleans or JSON. */
export function isKeyType(column: ColumnInfo): boolean {
  const type = keyTypeOf(column)
  switch (type.kind) {
    case 'integer':
    case 'string':
    case 'uuid':
    case 'binary':
      return true
    case 'decimal':
      return (type.scale ?? 0) === 0
    default:
      return false
  }
}

/** Whole numbers, whatever their width or whether a decimal type holds them. */
function family(type: KeyType): string {
  return type.kind === 'decimal' ? 'integer' : type.kind
}

/** Whether a child column can hold the parent key's values and compare with them without a cast. */
export function typeFit(child: ColumnInfo, parent: ColumnInfo): TypeFit {
  if (!isKeyType(child) || !isKeyType(parent)) return 'incompatible'
  const childType = keyTypeOf(child)
  const parentType = keyTypeOf(parent)
  if (family(childType) !== family(parentType)) return 'incompatible'
  const sameDeclared = child.type.toLowerCase().replace(/\s+/g, ' ') === parent.type.toLowerCase().replace(/\s+/g, ' ')
  return sameDeclared && (child.collation ?? '') === (parent.collation ?? '') ? 'same' : 'compatible'
}

/** Whether the type is a whole number: only then do value ranges and key density mean something. */
export function isIntegerColumn(column: ColumnInfo): boolean {
  const kind = keyTypeOf(column).kind
  return kind === 'integer' || kind === 'decimal'
}

/** Whether the type is a string: then `''` is the sentinel legacy schemas use for "none". */
export function isStringColumn(column: ColumnInfo): boolean {
  return keyTypeOf(column).kind === 'string'
}
