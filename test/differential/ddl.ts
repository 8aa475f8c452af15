import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { ReferentialAction, RelationInput } from '../../src/index.js'
import type { ChildColumn, RelationDef, Schema, TableDef } from './model.js'
import { MAX_TABLES } from './schema-arbitrary.js'

const ACTION_SQL: Record<ReferentialAction, RawBuilder<unknown>> = {
  cascade: sql`cascade`,
  restrict: sql`restrict`,
  'no action': sql`no action`,
  'set null': sql`set null`,
  'set default': sql`set default`,
}

/** Every table name a scenario may use, children before parents, so one DROP removes them all. */
const DROP_ORDER = Array.from({ length: MAX_TABLES }, (_, index) => `t${MAX_TABLES - 1 - index}`)

function columnList(columns: string[]): RawBuilder<unknown> {
  return sql.join(columns.map((column) => sql.id(column)))
}

function childColumnDefinition(column: ChildColumn): RawBuilder<unknown> {
  const notNull = column.notNull ? sql` not null` : sql``
  const columnDefault = column.default === null ? sql`` : sql` default ${sql.lit(column.default)}`
  return sql`${sql.id(column.name)} int${notNull}${columnDefault}`
}

function foreignKey(relation: RelationDef): RawBuilder<unknown> {
  const match = relation.match === 'full' ? sql` match full` : sql``
  const setColumns = relation.onDeleteSetColumns ? sql` (${columnList(relation.onDeleteSetColumns)})` : sql``
  return sql`constraint ${sql.id(relation.name)} foreign key (${columnList(relation.childColumns)}) references ${sql.id(relation.parent)} (${columnList(relation.parentColumns)})${match} on delete ${ACTION_SQL[relation.onDelete]}${setColumns} on update ${ACTION_SQL[relation.onUpdate]}`
}

function createTable(table: TableDef): RawBuilder<unknown> {
  const compositeKey = table.compositeKey
    ? [
        sql`${sql.id('a')} int`,
        sql`${sql.id('b')} int`,
        sql`constraint ${sql.id(`${table.name}_a_b_key`)} unique (${columnList(['a', 'b'])})`,
      ]
    : []
  const parts = [
    sql`${sql.id('id')} int primary key`,
    sql`${sql.id('v')} int not null default 0`,
    ...compositeKey,
    ...table.childColumns.map(childColumnDefinition),
  ]
  return sql`create table ${sql.id(table.name)} (${sql.join(parts)})`
}

/**
 * CREATE TABLE statements, parents first; when `withForeignKeys`, then one ALTER TABLE … ADD CONSTRAINT per
 * relation, in the schema's order. PostgreSQL fires a table's RI triggers in name order (RI_ConstraintTrigger_*_<oid>),
 * that is in constraint creation order, and refguard takes that order from its config (README), which gets the
 * relations in this same order (`relationInputs`); constraints inside CREATE TABLE would be created table by
 * table instead. InnoDB orders by constraint name, so the creation order does not matter on MariaDB.
 */
export function createTableStatements(schema: Schema, withForeignKeys: boolean): RawBuilder<unknown>[] {
  const tables = schema.tables.map(createTable)
  if (!withForeignKeys) return tables
  return [...tables, ...schema.relations.map((relation) => sql`alter table ${sql.id(relation.child)} add ${foreignKey(relation)}`)]
}

/** Drops whatever tables an earlier scenario left, then creates this scenario's tables. */
export async function recreateTables(db: Kysely<any>, schema: Schema, withForeignKeys: boolean): Promise<void> {
  await sql`drop table if exists ${sql.join(DROP_ORDER.map((name) => sql.id(name)))}`.execute(db)
  for (const statement of createTableStatements(schema, withForeignKeys)) await statement.execute(db)
}

/** The scenario's relations in refguard's long form, in the order the oracle creates them. */
export function relationInputs(schema: Schema): RelationInput[] {
  return schema.relations.map((relation) => ({
    name: relation.name,
    child: { table: relation.child, columns: relation.childColumns },
    parent: { table: relation.parent, columns: relation.parentColumns },
    onDelete: relation.onDelete,
    onUpdate: relation.onUpdate,
    match: relation.match,
    ...(relation.onDeleteSetColumns ? { onDeleteSetColumns: relation.onDeleteSetColumns } : {}),
  }))
}
