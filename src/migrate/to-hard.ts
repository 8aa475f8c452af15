import type { Finding } from '../audit/finding.js'
import { SchemaMismatchError } from '../audit/errors.js'
import type { ResolvedConfig } from '../config/normalize.js'
import type { Database } from '../db/connect.js'
import type { DatabaseSet } from '../db/database-set.js'
import { findTable, type ForeignKeyInfo, type SchemaInfo, type TableInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import { schemasByDatabase, withSchemas } from '../model/resolve-schemas.js'
import { selectRelations } from '../model/select.js'
import { unknownReferenceFindings } from '../model/validate.js'
import { behaviourDifferences, foreignKeyLinks } from './behaviour.js'
import { type MigrationCatalog, descendantsOf, readCatalog, tableKey } from './catalog.js'
import { type DdlStep, ddlTable, type ForeignKeyDefinition, type MigrationDdl, type TableName } from './ddl.js'
import { ddlFor } from './dialect-ddl.js'
import { constraintNameOf, defaultConstraintName, identifierTooLong, indexNameFor } from './names.js'
import { runPreflight } from './preflight.js'
import type { MigrationProblem } from './problem.js'
import { compileStep, type MigrationStatement } from './statement.js'

/** A relation that stays soft, and why the engine cannot declare it. */
export interface SoftRelation {
  relation: string
  reason: string
}

/** A relation the database already declares as a FOREIGN KEY with the same behaviour. */
export interface HardRelation {
  relation: string
  constraints: string[]
}

/** What `migrate to-hard` does: a preflight audit, then FOREIGN KEYs declared with the least locking the engine allows. */
export interface ToHardPlan {
  /** False when the preflight found a reason not to declare some relation; then there are no statements. */
  ok: boolean
  /** Relations that get a constraint (or a pending validation) from `statements`. */
  converted: string[]
  alreadyHard: HardRelation[]
  staySoft: SoftRelation[]
  /** What stops the migration, each with its fix; nothing is changed while there are any. */
  failures: MigrationProblem[]
  /** Findings of the preflight audit that do not stop it. */
  warnings: Finding[]
  /** Child rows the preflight audit read. */
  rowsChecked: number
  statements: MigrationStatement[]
}

/** Options of `migrate to-hard`. */
export interface ToHardOptions {
  /** Only these relations (by name); all when empty. */
  relations?: string[]
}

/** One database's introspection and catalog. */
interface DatabaseFacts {
  database: Database
  schema: SchemaInfo
  catalog: MigrationCatalog
  ddl: MigrationDdl
}

/** Why no engine can declare the relation: the reasons that do not depend on the engine. */
function softEverywhere(relation: Relation): string | undefined {
  if (relation.child.database !== relation.parent.database) {
    return `cross-database: parent in "${relation.parent.database}", child in "${relation.child.database}"; a FOREIGN KEY cannot reach another database`
  }
  if (relation.child.where)
    return `polymorphic (child where ${JSON.stringify(relation.child.where)}): a FOREIGN KEY cannot apply to some rows only`
  if (relation.mode !== 'inline') {
    return `mode "${relation.mode}": a constraint would run its actions inside the parent's transaction; set mode "inline" to convert it`
  }
  return undefined
}

function viewReason(child: TableInfo, parent: TableInfo): string | undefined {
  if (child.kind === 'view') return `child ${child.name} is a view, which cannot hold a constraint`
  if (parent.kind === 'view') return `parent ${parent.name} is a view: a FOREIGN KEY can only reference a table`
  return undefined
}

/** The constraint names that a new constraint on `table` must not reuse: PostgreSQL's per table, MySQL's FKs per database. */
function takenConstraintNames(facts: DatabaseFacts, table: TableName & { schema: string }, planned: Set<string>) {
  const family = facts.database.dialect.family
  return (name: string) =>
    planned.has(`${family === 'postgres' ? tableKey(table.schema, table.table) : table.schema}\u0000${name}`) ||
    facts.catalog.constraints.some(
      (constraint) =>
        constraint.schema === table.schema &&
        constraint.name === name &&
        (family === 'postgres' ? constraint.table === table.table : constraint.foreignKey),
    )
}

function reserve(facts: DatabaseFacts, table: TableName & { schema: string }, name: string, planned: Set<string>): void {
  const scope = facts.database.dialect.family === 'postgres' ? tableKey(table.schema, table.table) : table.schema
  planned.add(`${scope}\u0000${name}`)
}

/** The index names a new index on `table` must not reuse: PostgreSQL's relation names per schema, MySQL's index names per table. */
function takenIndexNames(facts: DatabaseFacts, table: TableInfo, planned: Set<string>) {
  return (name: string) =>
    planned.has(`${table.schema}\u0000${name}`) ||
    (facts.database.dialect.family === 'postgres'
      ? facts.catalog.relationNames.has(tableKey(table.schema, name))
      : table.indexes.some((index) => index.name === name))
}

/** Tables a relation's constraint goes on: the child, and on PostgreSQL each table inheriting from it, whose rows refguard counts as the child's. */
function targetTables(facts: DatabaseFacts, child: TableInfo): TableInfo[] {
  const key = tableKey(child.schema, child.name)
  if (facts.catalog.partitioned.has(key)) return [child]
  const descendants = descendantsOf(facts.catalog, key)
  return [
    child,
    ...facts.schema.tables.filter((table) => descendants.includes(tableKey(table.schema, table.name)) && table.kind === 'table'),
  ]
}

function sameAsNoList(relation: Relation): boolean {
  return behaviourDifferences(relation, { ...relation, onDeleteSetColumns: [] }, relation.child.columns, 'mysql').length === 0
}

interface RelationWork {
  relation: Relation
  facts: DatabaseFacts
  child: TableInfo
  /** The DDL of every target table, in order; empty when each has its constraint, valid, already. */
  steps: DdlStep[]
  constraints: string[]
}

/** What one target table needs: its constraint's name and the steps that declare or validate it, or why it cannot have one. */
type TargetPlan = { name: string; steps: DdlStep[] } | { failure: MigrationProblem }

/** A target table that already declares the relation's link: nothing to do, a pending validation, or a conflict. */
function planExisting(relation: Relation, target: TableInfo, existing: ForeignKeyInfo, facts: DatabaseFacts): TargetPlan {
  const family = facts.database.dialect.family
  const differences = behaviourDifferences(existing, relation, relation.child.columns, family)
  if (differences.length > 0) {
    const drop = family === 'postgres' ? 'DROP CONSTRAINT' : 'DROP FOREIGN KEY'
    return {
      failure: {
        kind: 'declared-differently',
        relation: relation.name,
        message: `relation "${relation.name}": ${target.name} already declares constraint ${existing.name} on these columns, which acts differently (${differences.join('; ')})`,
        fix: `make relation "${relation.name}" act like ${existing.name}, or ALTER TABLE ${target.name} ${drop} ${existing.name} and run again`,
      },
    }
  }
  const pending = facts.catalog.constraints.some(
    (constraint) =>
      constraint.schema === target.schema && constraint.table === target.name && constraint.name === existing.name && !constraint.validated,
  )
  const table = ddlTable(facts.schema.defaultSchema, target)
  return { name: existing.name, steps: pending ? facts.ddl.validateForeignKey(table, existing.name) : [] }
}

/** A target table without the constraint: a free name (the relation's own on the child, PostgreSQL's default on inheritance children) and the DDL. */
function planNew(relation: Relation, target: TableInfo, parent: TableInfo, facts: DatabaseFacts, planned: Set<string>): TargetPlan {
  const family = facts.database.dialect.family
  const table = { schema: target.schema, table: target.name }
  const taken = takenConstraintNames(facts, table, planned)
  const onChild = target.name === relation.child.table && target.schema === relation.child.schema
  const name = onChild ? constraintNameOf(relation) : defaultConstraintName(target.name, relation.child.columns, taken)
  const tooLong = identifierTooLong(family, name)
  if (tooLong || taken(name)) {
    const owner = family === 'postgres' ? target.name : `database ${target.schema}`
    return {
      failure: {
        kind: tooLong ? 'name-too-long' : 'name-collision',
        relation: relation.name,
        message: `relation "${relation.name}" would become constraint ${name} on ${target.name}, but ${tooLong ?? `${owner} already has a constraint of that name`}`,
        fix: `give the relation another name in the config, e.g. name: '${defaultConstraintName(target.name, relation.child.columns, taken)}'`,
      },
    }
  }
  reserve(facts, table, name, planned)
  // MySQL has no column list: a list of every key column (the same thing) is left out there.
  const listed = relation.onDeleteSetColumns && !(family === 'mysql' && sameAsNoList(relation))
  const definition: ForeignKeyDefinition = {
    name,
    child: { ...ddlTable(facts.schema.defaultSchema, target), columns: relation.child.columns },
    parent: { ...ddlTable(facts.schema.defaultSchema, parent), columns: relation.parent.columns },
    onDelete: relation.onDelete,
    onUpdate: relation.onUpdate,
    match: relation.match,
    deferrable: relation.deferrable,
    initiallyDeferred: relation.initiallyDeferred,
    ...(listed ? { onDeleteSetColumns: relation.onDeleteSetColumns } : {}),
  }
  const partitioned = facts.catalog.partitioned.has(tableKey(target.schema, target.name))
  return { name, steps: facts.ddl.addForeignKey(definition, { partitioned }) }
}

/** Works out one relation's DDL over all its target tables, or the reason it cannot have any. */
function planRelation(
  relation: Relation,
  facts: DatabaseFacts,
  planned: Set<string>,
): { work?: RelationWork; failure?: MigrationProblem; hard?: HardRelation } {
  const child = findTable(facts.schema, relation.child) as TableInfo
  const parent = findTable(facts.schema, relation.parent) as TableInfo
  const work: RelationWork = { relation, facts, child, steps: [], constraints: [] }
  for (const target of targetTables(facts, child)) {
    const existing = target.foreignKeys.find((foreignKey) =>
      foreignKeyLinks(foreignKey, { schema: parent.schema, table: parent.name }, relation.child.columns, relation.parent.columns),
    )
    const targetPlan = existing ? planExisting(relation, target, existing, facts) : planNew(relation, target, parent, facts, planned)
    if ('failure' in targetPlan) return { failure: targetPlan.failure }
    work.constraints.push(targetPlan.name)
    work.steps.push(...targetPlan.steps)
  }
  return work.steps.length === 0 ? { hard: { relation: relation.name, constraints: work.constraints } } : { work }
}

async function readFacts(relations: Relation[], databases: DatabaseSet): Promise<Map<string, DatabaseFacts>> {
  const facts = new Map<string, DatabaseFacts>()
  for (const [name, schemas] of schemasByDatabase(relations)) {
    const database = await databases.get(name)
    facts.set(name, {
      database,
      schema: await database.introspect(schemas),
      catalog: await readCatalog(database, schemas),
      ddl: ddlFor(database.dialect.family),
    })
  }
  return facts
}

/**
 * Plans `migrate to-hard`: which relations an engine can declare, a preflight audit of those (orphans, sentinels,
 * types, parent keys, child indexes), and the DDL: PostgreSQL NOT VALID + VALIDATE and CREATE INDEX CONCURRENTLY,
 * MySQL/MariaDB ADD CONSTRAINT and INPLACE indexes. Relations already declared alike are left as they are.
 */
export async function planToHard(config: ResolvedConfig, databases: DatabaseSet, options: ToHardOptions = {}): Promise<ToHardPlan> {
  const selected = selectRelations(config.relations, options.relations)
  const plan: ToHardPlan = {
    ok: true,
    converted: [],
    alreadyHard: [],
    staySoft: [],
    failures: [],
    warnings: [],
    rowsChecked: 0,
    statements: [],
  }
  const candidates = selected.filter((relation) => {
    const reason = softEverywhere(relation)
    if (reason) plan.staySoft.push({ relation: relation.name, reason })
    return !reason
  })
  const facts = await readFacts(candidates, databases)
  const schemas = new Map([...facts].map(([name, entry]) => [name, entry.schema]))
  const resolved = candidates.map((relation) => withSchemas(relation, schemas))
  const unknown = resolved.flatMap((relation) =>
    unknownReferenceFindings(
      relation,
      schemas.get(relation.child.database) as SchemaInfo,
      schemas.get(relation.parent.database) as SchemaInfo,
    ),
  )
  if (unknown.length > 0) throw new SchemaMismatchError(unknown)

  const planned = new Set<string>()
  const work: RelationWork[] = []
  for (const relation of resolved) {
    const entry = facts.get(relation.child.database) as DatabaseFacts
    const reason =
      viewReason(findTable(entry.schema, relation.child) as TableInfo, findTable(entry.schema, relation.parent) as TableInfo) ??
      entry.ddl.cannotExpress(relation)
    if (reason) {
      plan.staySoft.push({ relation: relation.name, reason })
      continue
    }
    const outcome = planRelation(relation, entry, planned)
    if (outcome.failure) plan.failures.push(outcome.failure)
    if (outcome.hard) plan.alreadyHard.push(outcome.hard)
    if (outcome.work) work.push(outcome.work)
  }

  const familyOf = (database: string) => (facts.get(database) as DatabaseFacts).database.dialect.family
  const preflight = await runPreflight(
    config,
    databases,
    work.map((item) => item.relation),
    schemas,
    familyOf,
  )
  plan.failures.push(...preflight.failures)
  plan.warnings = preflight.warnings
  plan.rowsChecked = preflight.rowsChecked
  plan.ok = plan.failures.length === 0
  if (!plan.ok) return plan

  const plannedIndexes = new Set<string>()
  for (const item of work) {
    const { relation, facts: entry, child } = item
    const steps: DdlStep[] = []
    if (preflight.missingIndex.has(relation.name)) {
      const name = indexNameFor(child.name, relation.child.columns, takenIndexNames(entry, child, plannedIndexes))
      plannedIndexes.add(`${child.schema}\u0000${name}`)
      const partitioned = entry.catalog.partitioned.has(tableKey(child.schema, child.name))
      steps.push(entry.ddl.createIndex(ddlTable(entry.schema.defaultSchema, child), name, relation.child.columns, { partitioned }))
    }
    steps.push(...item.steps)
    plan.converted.push(relation.name)
    plan.statements.push(...steps.map((step) => compileStep(entry.database.db, entry.database.name, relation.name, step)))
  }
  return plan
}
