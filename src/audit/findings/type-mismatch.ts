import { findColumn, type ColumnInfo } from '../../db/schema-info.js'
import { type KeyType, keyTypeOf } from '../column-types.js'
import type { Finding } from '../finding.js'
import type { RelationContext } from '../relation-context.js'
import { identifierFor, tableNameFor } from '../sql-names.js'

/** Why a child column's type differs from its parent's, and whether that breaks comparisons (error) or only risks (warning). */
function difference(child: KeyType, parent: KeyType): { severity: Finding['severity']; why: string } | undefined {
  if (child.kind !== parent.kind) {
    return { severity: 'error', why: 'every comparison needs a cast, indexes on the key go unused and no FOREIGN KEY can be declared' }
  }
  if (child.kind === 'integer') {
    if ((child.bytes ?? 0) < (parent.bytes ?? 0) || (child.unsigned && !parent.unsigned)) {
      return { severity: 'warning', why: 'the child column cannot hold every parent key: new parents will be unreferenceable' }
    }
    if (child.bytes !== parent.bytes || child.unsigned !== parent.unsigned) {
      return { severity: 'warning', why: 'widths or signedness differ: MySQL refuses such a FOREIGN KEY, and joins convert' }
    }
  }
  if (child.kind === 'decimal' && (child.precision !== parent.precision || child.scale !== parent.scale)) {
    return { severity: 'warning', why: 'precision or scale differ: a parent key may not fit, or be rounded, in the child' }
  }
  if (child.kind === 'string') {
    if (child.length !== undefined && (parent.length === undefined || child.length < parent.length)) {
      return { severity: 'warning', why: 'the child column is shorter: longer parent keys cannot be referenced' }
    }
    if (child.padded !== parent.padded)
      return { severity: 'warning', why: 'CHAR pads with spaces and VARCHAR does not: keys may not match' }
    if (child.length !== parent.length) return { severity: 'warning', why: 'lengths differ' }
  }
  if (child.kind === 'datetime' && child.withTimeZone !== parent.withTimeZone) {
    return { severity: 'warning', why: 'one side has a time zone and the other not: the same instant compares unequal' }
  }
  if (child.kind === 'float') return { severity: 'warning', why: 'floating-point keys compare inexactly' }
  return undefined
}

/** The column clause MySQL's MODIFY needs to keep everything but the type. */
function mysqlColumnTail(child: ColumnInfo, parent: ColumnInfo): string {
  const charset = parent.charset ? ` CHARACTER SET ${parent.charset} COLLATE ${parent.collation}` : ''
  const nullable = child.nullable ? ' NULL' : ' NOT NULL'
  return `${charset}${nullable}${child.default !== null ? ` DEFAULT ${child.default}` : ''}`
}

function alterSql(context: RelationContext, child: ColumnInfo, parent: ColumnInfo): string {
  const table = tableNameFor(context.family)(context.asWritten.child)
  const column = identifierFor(context.family)(child.name)
  if (context.family === 'mysql') return `ALTER TABLE ${table} MODIFY ${column} ${parent.type}${mysqlColumnTail(child, parent)}`
  const cast = keyTypeOf(child).kind === keyTypeOf(parent).kind ? '' : ` USING ${column}::${parent.type}`
  return `ALTER TABLE ${table} ALTER COLUMN ${column} TYPE ${parent.type}${cast}`
}

/** `type-mismatch`: child key columns whose type, width, signedness, length, precision, charset or collation differ from the parent's. */
export function typeMismatchFindings(context: RelationContext): Finding[] {
  const { asWritten } = context
  return asWritten.child.columns.flatMap((name, i): Finding[] => {
    const child = findColumn(context.child, name)
    const parent = findColumn(context.parent, asWritten.parent.columns[i] as string)
    if (!child || !parent) return []
    const where = `${context.child.name}.${child.name} is ${child.type} but ${context.parent.name}.${parent.name} is ${parent.type}`
    const found = difference(keyTypeOf(child), keyTypeOf(parent))
    const collation =
      context.family === 'mysql' && child.collation && parent.collation && child.collation !== parent.collation
        ? `collations differ (${child.collation} vs ${parent.collation}): MySQL refuses such a FOREIGN KEY and comparisons may not use the index`
        : undefined
    if (!found && !collation) return []
    return [
      {
        kind: 'type-mismatch',
        severity: found?.severity ?? 'warning',
        relation: asWritten.name,
        column: child.name,
        message: `relation "${asWritten.name}": ${where}: ${[found?.why, collation].filter(Boolean).join('; ')}`,
        fix: alterSql(context, child, parent),
      },
    ]
  })
}
