import fc from 'fast-check'
import { columnsDeletePredicatesAvoid } from './known-differences.js'
import type { Assignment, OracleDialect, Predicate, Schema, Statement, TableDef } from './model.js'
import { MAX_TABLES } from './schema-arbitrary.js'

/** Ids live in 1..6; `id + 10` moves them to 11..16 and `id - 10` back, so the two ranges never collide mid-statement. */
const SHIFT = 10
const LOW_ID_MAX = 6
const HIGH_ID_MIN = 11

type Value = number | null

type PredicateSpec =
  { kind: 'all' } | { kind: 'ids'; ids: number[] } | { kind: 'above'; id: number } | { kind: 'refers'; slot: number; value: Value }

type ChangeSpec =
  | { kind: 'shift-up' | 'shift-down' | 'touch' }
  | { kind: 'set-reference'; slot: number; value: Value }
  | { kind: 'set-a' | 'set-b'; value: Value }

interface RowSpec {
  id: number
  a: Value
  b: Value
  references: Value[]
}

/** A statement before it is fitted to a schema: table indices wrap, slots pick among the table's referencing columns. */
export type StatementSpec =
  | { kind: 'insert'; table: number; rows: RowSpec[] }
  | { kind: 'update'; table: number; change: ChangeSpec; where: PredicateSpec }
  | { kind: 'delete'; table: number; where: PredicateSpec }

const REFERENCE_SLOTS = 8
const lowId = fc.integer({ min: 1, max: LOW_ID_MAX })
const anyId = fc.oneof({ arbitrary: lowId, weight: 3 }, { arbitrary: fc.integer({ min: HIGH_ID_MIN, max: HIGH_ID_MIN + 5 }), weight: 1 })
const compositeValue: fc.Arbitrary<Value> = fc.option(fc.integer({ min: 1, max: 3 }), { freq: 6 })
const referenceValue: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: lowId, weight: 8 },
  { arbitrary: fc.integer({ min: HIGH_ID_MIN, max: HIGH_ID_MIN + 1 }), weight: 1 },
  { arbitrary: fc.constant(null), weight: 2 },
)

const predicateSpec: fc.Arbitrary<PredicateSpec> = fc.oneof(
  fc.constant({ kind: 'all' as const }),
  fc.record({ kind: fc.constant('ids' as const), ids: fc.uniqueArray(anyId, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('above' as const), id: fc.integer({ min: 0, max: HIGH_ID_MIN + 3 }) }),
  fc.record({ kind: fc.constant('refers' as const), slot: fc.nat(REFERENCE_SLOTS - 1), value: referenceValue }),
)

const changeSpec: fc.Arbitrary<ChangeSpec> = fc.oneof(
  fc.record({ kind: fc.constantFrom('shift-up' as const, 'shift-down' as const, 'touch' as const) }),
  fc.record({ kind: fc.constant('set-reference' as const), slot: fc.nat(REFERENCE_SLOTS - 1), value: referenceValue }),
  fc.record({ kind: fc.constantFrom('set-a' as const, 'set-b' as const), value: compositeValue }),
)

const rowSpec: fc.Arbitrary<RowSpec> = fc.record({
  id: lowId,
  a: compositeValue,
  b: compositeValue,
  references: fc.array(referenceValue, { minLength: REFERENCE_SLOTS, maxLength: REFERENCE_SLOTS }),
})

/** Inserts of one to three rows, key-changing and plain updates, and deletes, in a small value domain. */
export function statementSpecArbitrary(): fc.Arbitrary<StatementSpec> {
  const table = fc.nat(MAX_TABLES - 1)
  return fc.oneof(
    {
      arbitrary: fc.record({ kind: fc.constant('insert' as const), table, rows: fc.array(rowSpec, { minLength: 1, maxLength: 3 }) }),
      weight: 4,
    },
    { arbitrary: fc.record({ kind: fc.constant('update' as const), table, change: changeSpec, where: predicateSpec }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('delete' as const), table, where: predicateSpec }), weight: 2 },
  )
}

/** Composite keys (a, b) live in 1..3: references into them are folded there so that they match often. */
function columnValue(column: string, value: Value): Value {
  const composite = column.endsWith('_a') || column.endsWith('_b')
  return composite && value !== null && value <= LOW_ID_MAX ? ((value - 1) % 3) + 1 : value
}

function referenceColumn(table: TableDef, slot: number): string | undefined {
  return table.childColumns[slot % Math.max(table.childColumns.length, 1)]?.name
}

/** A predicate on the table's rows; a reference column in `avoid` is replaced by `id`, as when the table has none. */
function resolvePredicate(table: TableDef, spec: PredicateSpec, avoid = new Set<string>()): Predicate {
  switch (spec.kind) {
    case 'all':
      return { kind: 'all' }
    case 'ids':
      return { kind: 'in', column: 'id', values: spec.ids }
    case 'above':
      return { kind: 'compare', column: 'id', op: '>', value: spec.id }
    case 'refers': {
      const column = referenceColumn(table, spec.slot)
      if (!column || avoid.has(column)) return { kind: 'compare', column: 'id', op: '=', value: spec.value ?? 1 }
      const value = columnValue(column, spec.value)
      return value === null ? { kind: 'null', column } : { kind: 'compare', column, op: '=', value }
    }
  }
}

/** Adds a bound on `id` to a key shift so that source and target ids never overlap. */
function bounded(where: Predicate, bound: Predicate): Predicate {
  return where.kind === 'all' ? bound : { kind: 'and', of: [where, bound] }
}

function resolveUpdate(table: TableDef, change: ChangeSpec, where: Predicate): Statement {
  const update = (set: Assignment, predicate = where): Statement => ({ kind: 'update', table: table.name, set, where: predicate })
  const touch = update({ column: 'v', add: 1 })
  switch (change.kind) {
    case 'shift-up':
      return update({ column: 'id', add: SHIFT }, bounded(where, { kind: 'compare', column: 'id', op: '<=', value: LOW_ID_MAX }))
    case 'shift-down':
      return update({ column: 'id', add: -SHIFT }, bounded(where, { kind: 'compare', column: 'id', op: '>=', value: HIGH_ID_MIN }))
    case 'touch':
      return touch
    case 'set-reference': {
      const column = referenceColumn(table, change.slot)
      return column ? update({ column, value: columnValue(column, change.value) }) : touch
    }
    case 'set-a':
    case 'set-b':
      return table.compositeKey ? update({ column: change.kind === 'set-a' ? 'a' : 'b', value: change.value }) : touch
  }
}

function resolveRow(table: TableDef, spec: RowSpec): Record<string, Value> {
  const row: Record<string, Value> = { id: spec.id }
  if (table.compositeKey) Object.assign(row, { a: spec.a, b: spec.b })
  table.childColumns.forEach((column, index) => {
    row[column.name] = columnValue(column.name, spec.references[index % REFERENCE_SLOTS] ?? null)
  })
  return row
}

/**
 * Fits a generated statement to a schema. On MariaDB a delete never tests a column that a self-referencing
 * ON DELETE SET NULL writes, the documented difference (b) of known-differences.ts.
 */
export function resolveStatement(schema: Schema, spec: StatementSpec, dialect: OracleDialect): Statement {
  const table = schema.tables[spec.table % schema.tables.length]!
  switch (spec.kind) {
    case 'insert':
      return { kind: 'insert', table: table.name, rows: spec.rows.map((row) => resolveRow(table, row)) }
    case 'update':
      return resolveUpdate(table, spec.change, resolvePredicate(table, spec.where))
    case 'delete':
      return {
        kind: 'delete',
        table: table.name,
        where: resolvePredicate(table, spec.where, columnsDeletePredicatesAvoid(dialect, schema, table.name)),
      }
  }
}
