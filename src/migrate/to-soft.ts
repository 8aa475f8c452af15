import type { Finding } from '../audit/finding.js'
import { actionNullabilityFindings } from '../audit/findings/nullability.js'
import type { ResolvedConfig } from '../config/normalize.js'
import type { RelationInput } from '../config/types.js'
import type { Database } from '../db/connect.js'
import type { DatabaseSet } from '../db/database-set.js'
import { findTable, type ForeignKeyInfo, type SchemaInfo, type TableInfo } from '../db/schema-info.js'
import { type Relation, qualifiedName } from '../model/relation.js'
import { schemasByDatabase } from '../model/resolve-schemas.js'
import { behaviourDifferences, sameColumns } from './behaviour.js'
import { readTableParents } from '../db/table-parents.js'
import { tableKey } from './catalog.js'
import { ddlTable } from './ddl.js'
import { ddlFor } from './dialect-ddl.js'
import { type CoveredForeignKey, declaredForeignKeys, relationFromForeignKey, relationsFromForeignKeys } from './from-foreign-keys.js'
import { relationNameFor } from './names.js'
import type { MigrationProblem } from './problem.js'
import { compileStep, type MigrationStatement } from './statement.js'

/** What `migrate to-soft` does: relations into the config, then every FOREIGN KEY dropped. */
export interface ToSoftPlan {
  /** One relation per declared FK that the config does not have yet (inheritance-child FKs an ancestor covers excepted). */
  relations: RelationInput[]
  /** Declared FKs the config already has as relations with the same behaviour. */
  alreadyPresent: string[]
  /** Inheritance-child FKs that an ancestor's relation stands for; `differences` says where its actions differ from theirs. */
  covered: CoveredForeignKey[]
  /** Relations refguard will refuse to enforce as they are (SET NULL on a NOT NULL column, which PostgreSQL declares anyway). */
  warnings: Finding[]
  /** FKs that cannot become relations as they are; while there are any, nothing is changed. */
  problems: MigrationProblem[]
  /** DROP CONSTRAINT / DROP FOREIGN KEY for every declared FK, after the config holds the relations. */
  statements: MigrationStatement[]
}

/** The config's relations on `database` whose child is `table`, with sides resolved to the database's default schema. */
function configuredOn(config: ResolvedConfig, database: string, schema: SchemaInfo) {
  const schemaOf = (side: { schema?: string }) => side.schema ?? schema.defaultSchema
  return (tableSchema: string, table: string, parentSchema: string, parentTable: string) =>
    config.relations.filter(
      (relation) =>
        relation.child.database === database &&
        relation.parent.database === database &&
        schemaOf(relation.child) === tableSchema &&
        relation.child.table === table &&
        schemaOf(relation.parent) === parentSchema &&
        relation.parent.table === parentTable,
    )
}

/** Why an existing relation for the same columns would not act like the constraint it stands beside. */
function configDifferences(relation: Relation, foreignKey: ForeignKeyInfo, family: 'postgres' | 'mysql'): string[] {
  const differences = behaviourDifferences(foreignKey, relation, foreignKey.columns, family)
  if (relation.child.where) differences.push(`the relation only covers rows where ${JSON.stringify(relation.child.where)}`)
  return differences
}

function matchPartial(table: TableInfo, foreignKey: ForeignKeyInfo): MigrationProblem {
  return {
    kind: 'match-partial',
    relation: foreignKey.name,
    message: `constraint ${foreignKey.name} on ${table.name} is MATCH PARTIAL, which refguard does not model`,
    fix: `declare it MATCH SIMPLE or MATCH FULL, or drop it by hand, then run again`,
  }
}

async function planDatabase(config: ResolvedConfig, database: Database, plan: ToSoftPlan, takenNames: Set<string>): Promise<void> {
  const schema = await database.introspect(schemasByDatabase(config.relations).get(database.name) ?? [])
  const declared = declaredForeignKeys(schema).filter(({ table, foreignKey }) => {
    if (foreignKey.match !== 'partial') return true
    plan.problems.push(matchPartial(table, foreignKey))
    return false
  })
  const modelled: SchemaInfo = {
    ...schema,
    tables: schema.tables.map((table) => ({ ...table, foreignKeys: table.foreignKeys.filter((fk) => fk.match !== 'partial') })),
  }
  const { coverage } = relationsFromForeignKeys(modelled, await readTableParents(database))
  plan.covered.push(...coverage)
  const covered = new Set(coverage.map((entry) => `${entry.table}\u0000${entry.name}`))
  const configured = configuredOn(config, database.name, schema)
  const toAdd: RelationInput[] = []
  for (const { table, foreignKey } of declared) {
    if (covered.has(`${tableKey(table.schema, table.name)}\u0000${foreignKey.name}`)) continue
    const existing = configured(table.schema, table.name, foreignKey.parent.schema, foreignKey.parent.table).find((candidate) =>
      sameColumns(
        { child: candidate.child.columns, parent: candidate.parent.columns },
        { child: foreignKey.columns, parent: foreignKey.parent.columns },
      ),
    )
    if (!existing) {
      const relation = relationFromForeignKey(table, foreignKey, schema.defaultSchema)
      toAdd.push(database.name === config.defaultDatabase ? relation : withDatabase(relation, database.name))
      continue
    }
    const differences = configDifferences(existing, foreignKey, database.dialect.family)
    if (differences.length === 0) plan.alreadyPresent.push(foreignKey.name)
    else {
      plan.problems.push({
        kind: 'config-differs',
        relation: foreignKey.name,
        message: `constraint ${foreignKey.name} on ${table.name} is already in the config as relation "${existing.name}", which acts differently (${differences.join('; ')}): dropping the constraint would change what happens`,
        fix: `make relation "${existing.name}" act like the constraint, or remove it from the config, then run again`,
      })
    }
  }
  nameNewRelations(toAdd, takenNames, database, schema, plan)
  const ddl = ddlFor(database.dialect.family)
  for (const { table, foreignKey } of declared) {
    const step = ddl.dropForeignKey(ddlTable(schema.defaultSchema, table), foreignKey.name)
    plan.statements.push(compileStep(database.db, database.name, foreignKey.name, step))
  }
}

/**
 * Adds the new relations to the plan under their constraint names, or `table.constraint` where that name is taken (by
 * the config, or by another table's constraint of the same name); with the relations refguard would refuse as warnings.
 */
function nameNewRelations(toAdd: RelationInput[], takenNames: Set<string>, database: Database, schema: SchemaInfo, plan: ToSoftPlan): void {
  const counts = new Map<string, number>()
  for (const relation of toAdd) counts.set(relation.name as string, (counts.get(relation.name as string) ?? 0) + 1)
  for (const relation of toAdd) {
    const constraint = relation.name as string
    const name = relationNameFor(
      relation.child.table,
      constraint,
      (candidate) => takenNames.has(candidate) || (counts.get(candidate) ?? 0) > 1,
    )
    if (takenNames.has(name)) {
      plan.problems.push({
        kind: 'name-collision',
        relation: constraint,
        message: `constraint ${constraint} on ${qualifiedName({ database: database.name, ...relation.child })} would become relation "${name}", a name the config already uses for another relation`,
        fix: `rename relation "${name}" in the config, then run again`,
      })
      continue
    }
    takenNames.add(name)
    plan.relations.push({ ...relation, name })
    plan.warnings.push(...unenforceable({ ...relation, name }, database.name, schema))
  }
}

/** The audit's nullability findings for a new relation: actions that fail on every delete, which createGuard refuses. */
function unenforceable(input: RelationInput, database: string, schema: SchemaInfo): Finding[] {
  const side = (entry: RelationInput['parent']) => ({
    database,
    table: entry.table,
    columns: entry.columns,
    ...(entry.schema ? { schema: entry.schema } : {}),
  })
  const asWritten: Relation = {
    name: input.name as string,
    child: side(input.child),
    parent: side(input.parent),
    onDelete: input.onDelete ?? 'no action',
    onUpdate: input.onUpdate ?? 'no action',
    ...(input.onDeleteSetColumns ? { onDeleteSetColumns: input.onDeleteSetColumns } : {}),
    match: input.match ?? 'simple',
    mode: 'inline',
    deferrable: input.deferrable ?? false,
    initiallyDeferred: input.initiallyDeferred ?? false,
  }
  const child = findTable(schema, asWritten.child)
  const parent = findTable(schema, asWritten.parent)
  return child && parent ? actionNullabilityFindings({ relation: asWritten, asWritten, child, parent }) : []
}

function withDatabase(relation: RelationInput, database: string): RelationInput {
  return { ...relation, child: { database, ...relation.child }, parent: { database, ...relation.parent } }
}

/** Plans `migrate to-soft` for every configured database: the relations the declared FKs amount to and the DDL that drops them. */
export async function planToSoft(config: ResolvedConfig, databases: DatabaseSet): Promise<ToSoftPlan> {
  const plan: ToSoftPlan = { relations: [], alreadyPresent: [], covered: [], warnings: [], problems: [], statements: [] }
  const takenNames = new Set(config.relations.map((relation) => relation.name))
  for (const name of Object.keys(config.databases)) await planDatabase(config, await databases.get(name), plan, takenNames)
  return plan
}
