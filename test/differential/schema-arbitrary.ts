import fc from 'fast-check'
import type { MatchType, ReferentialAction } from '../../src/index.js'
import { innodbSelfReferenceOnDelete } from './known-differences.js'
import type { ChildColumn, OracleDialect, RelationDef, Schema, TableDef } from './model.js'

/** At most this many tables t0..t3, and relations, per schema. */
export const MAX_TABLES = 4
export const MAX_RELATIONS = 4

/** A relation before it is fitted to a table count: indices wrap, flags that cannot apply are dropped. */
interface RelationSpec {
  child: number
  parent: number
  composite: boolean
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
  match: MatchType
  notNull: boolean
  defaults: [number | null, number | null]
  /** Which single column of a composite key ON DELETE SET NULL/DEFAULT (cols) writes, if any (PostgreSQL only). */
  deleteSetsOnly: 0 | 1 | null
}

/** The generated shape of a schema, resolved into a `Schema` by `resolveSchema`. */
export interface SchemaSpec {
  tableCount: number
  compositeTables: boolean[]
  relations: RelationSpec[]
}

/** InnoDB parses but does not implement SET DEFAULT and MATCH FULL, so MariaDB schemas never use them. */
function actionArbitrary(dialect: OracleDialect): fc.Arbitrary<ReferentialAction> {
  const actions: ReferentialAction[] = ['cascade', 'restrict', 'no action', 'set null']
  return fc.constantFrom(...(dialect === 'postgres' ? [...actions, 'set default' as const] : actions))
}

function relationSpecArbitrary(dialect: OracleDialect): fc.Arbitrary<RelationSpec> {
  const columnDefault = fc.constantFrom<number | null>(null, 1, 2)
  return fc.record({
    child: fc.nat(MAX_TABLES - 1),
    parent: fc.nat(MAX_TABLES - 1),
    composite: fc.boolean(),
    onDelete: actionArbitrary(dialect),
    onUpdate: actionArbitrary(dialect),
    match: dialect === 'postgres' ? fc.constantFrom<MatchType>('simple', 'full') : fc.constant<MatchType>('simple'),
    notNull: fc.boolean(),
    defaults: fc.tuple(columnDefault, columnDefault),
    deleteSetsOnly: dialect === 'postgres' ? fc.constantFrom<0 | 1 | null>(null, null, 0, 1) : fc.constant(null),
  })
}

/** Schema shapes a dialect's native foreign keys support. */
export function schemaSpecArbitrary(dialect: OracleDialect): fc.Arbitrary<SchemaSpec> {
  return fc.record({
    tableCount: fc.integer({ min: 1, max: MAX_TABLES }),
    compositeTables: fc.array(fc.boolean(), { minLength: MAX_TABLES, maxLength: MAX_TABLES }),
    relations: fc.array(relationSpecArbitrary(dialect), { minLength: 1, maxLength: MAX_RELATIONS }),
  })
}

/**
 * NOT NULL only where no action writes NULL; InnoDB also refuses NOT NULL columns that ON UPDATE CASCADE
 * from a nullable parent key (a, b).
 */
function childColumns(index: number, spec: RelationSpec, dialect: OracleDialect): ChildColumn[] {
  const actions = [spec.onDelete, spec.onUpdate]
  const writesNull = actions.includes('set null')
  const writesDefault = actions.includes('set default')
  const cascadesNullableKey = dialect === 'mariadb' && spec.composite && spec.onUpdate === 'cascade'
  const notNull = spec.notNull && !writesNull && !(writesDefault && spec.defaults.includes(null)) && !cascadesNullableKey
  const names = spec.composite ? [`r${index}_a`, `r${index}_b`] : [`r${index}_id`]
  return names.map((name, position) => ({ name, notNull, default: spec.defaults[position] ?? null }))
}

/**
 * InnoDB deletes row by row, refguard set-based: on MariaDB a self-referencing relation gets no RESTRICT or
 * NO ACTION on delete, the documented difference (a) of known-differences.ts.
 */
function fitToDialect(spec: RelationSpec, selfReferencing: boolean, dialect: OracleDialect): RelationSpec {
  if (dialect !== 'mariadb' || !selfReferencing) return spec
  return { ...spec, onDelete: innodbSelfReferenceOnDelete(spec.onDelete) }
}

function resolveRelation(
  index: number,
  generated: RelationSpec,
  tableCount: number,
  dialect: OracleDialect,
): RelationDef & { columns: ChildColumn[] } {
  const child = generated.child % tableCount
  const parent = generated.parent % (child + 1)
  const spec = fitToDialect(generated, parent === child, dialect)
  const columns = childColumns(index, spec, dialect)
  const setsSubset = spec.composite && spec.deleteSetsOnly !== null && (spec.onDelete === 'set null' || spec.onDelete === 'set default')
  return {
    name: `t${child}_r${index}_fkey`,
    child: `t${child}`,
    childColumns: columns.map((column) => column.name),
    parent: `t${parent}`,
    parentColumns: spec.composite ? ['a', 'b'] : ['id'],
    onDelete: spec.onDelete,
    onUpdate: spec.onUpdate,
    match: spec.composite ? spec.match : 'simple',
    ...(setsSubset ? { onDeleteSetColumns: [columns[spec.deleteSetsOnly ?? 0]!.name] } : {}),
    columns,
  }
}

/** Fits a spec to its table count (every relation's parent is its child or an earlier table) and to the dialect. */
export function resolveSchema(spec: SchemaSpec, dialect: OracleDialect): Schema {
  const resolved = spec.relations.map((relation, index) => resolveRelation(index, relation, spec.tableCount, dialect))
  const tables: TableDef[] = Array.from({ length: spec.tableCount }, (_, index) => {
    const name = `t${index}`
    const referencedByComposite = resolved.some((relation) => relation.parent === name && relation.parentColumns.length === 2)
    return {
      name,
      compositeKey: spec.compositeTables[index] === true || referencedByComposite,
      childColumns: resolved.filter((relation) => relation.child === name).flatMap((relation) => relation.columns),
    }
  })
  const relations = resolved.map(({ columns: _columns, ...relation }) => relation)
  return { tables, relations }
}
