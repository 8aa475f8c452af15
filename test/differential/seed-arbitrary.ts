import fc from 'fast-check'
import type { RelationDef, Schema, Statement, TableDef } from './model.js'
import { MAX_RELATIONS, MAX_TABLES } from './schema-arbitrary.js'

type Row = Record<string, number | null>

/** A seed row; `picks[k]` chooses which existing parent key (or NULL) relation k references. */
interface SeedRowSpec {
  id: number
  a: number | null
  b: number | null
  picks: number[]
}

/** Seed rows per table index, resolved into valid inserts by `resolveSeed`. */
export type SeedSpec = SeedRowSpec[][]

const compositeValue = fc.option(fc.integer({ min: 1, max: 3 }), { freq: 6 })

/** Up to five rows per table with ids in 1..6. */
export function seedSpecArbitrary(): fc.Arbitrary<SeedSpec> {
  const row = fc.record({
    id: fc.integer({ min: 1, max: 6 }),
    a: compositeValue,
    b: compositeValue,
    picks: fc.array(fc.nat(9), { minLength: MAX_RELATIONS, maxLength: MAX_RELATIONS }),
  })
  const tableRows = fc.uniqueArray(row, { selector: (spec) => spec.id, maxLength: 5 })
  return fc.array(tableRows, { minLength: MAX_TABLES, maxLength: MAX_TABLES })
}

/** The keys a new row may reference: parent rows with a complete key, and all-NULL when the columns are nullable. */
function referenceOptions(relation: RelationDef, parentRows: Row[], nullable: boolean): Array<Array<number | null>> {
  const keys = parentRows
    .map((row) => relation.parentColumns.map((column) => row[column] ?? null))
    .filter((key) => key.every((value) => value !== null))
  return nullable ? [...keys, relation.childColumns.map(() => null)] : keys
}

/** The row, or undefined when a NOT NULL reference has no parent to point at. */
function seedRow(table: TableDef, spec: SeedRowSpec, earlier: Row[], schema: Schema, seeded: Map<string, Row[]>): Row | undefined {
  const row: Row = { id: spec.id }
  if (table.compositeKey) {
    const taken = earlier.some((other) => spec.a !== null && spec.b !== null && other.a === spec.a && other.b === spec.b)
    Object.assign(row, { a: spec.a, b: taken ? null : spec.b })
  }
  for (const [index, relation] of schema.relations.entries()) {
    if (relation.child !== table.name) continue
    const nullable = table.childColumns.some((column) => column.name === relation.childColumns[0] && !column.notNull)
    const parentRows = relation.parent === table.name ? earlier : (seeded.get(relation.parent) ?? [])
    const options = referenceOptions(relation, parentRows, nullable)
    if (options.length === 0) return undefined
    const key = options[(spec.picks[index] ?? 0) % options.length]!
    relation.childColumns.forEach((column, position) => {
      row[column] = key[position] ?? null
    })
  }
  return row
}

/** One multi-row insert per non-empty table, parents first, that every relation accepts. */
export function resolveSeed(schema: Schema, spec: SeedSpec): Statement[] {
  const seeded = new Map<string, Row[]>()
  const inserts: Statement[] = []
  schema.tables.forEach((table, index) => {
    const rows: Row[] = []
    for (const rowSpec of spec[index] ?? []) {
      const row = seedRow(table, rowSpec, rows, schema, seeded)
      if (row) rows.push(row)
    }
    seeded.set(table.name, rows)
    if (rows.length > 0) inserts.push({ kind: 'insert', table: table.name, rows })
  })
  return inserts
}
