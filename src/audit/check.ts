import type { Kysely } from 'kysely'
import type { ResolvedConfig } from '../config/normalize.js'
import { crossDatabaseKeyPlan, crossDatabaseParentHasKey, type RelationDatabases, scanCrossDatabase } from '../crossdb/check-relation.js'
import { crossDatabaseOrphanFix, crossDatabaseSchemaFindings } from '../crossdb/findings.js'
import { isCrossDatabase, type KeyPlan } from '../crossdb/key-plan.js'
import type { DatabaseSet } from '../db/database-set.js'
import { findColumn, findTable, hasUniqueKey, type SchemaInfo, type TableInfo } from '../db/schema-info.js'
import { RelationGraph } from '../model/graph.js'
import { describeSide, qualifiedName, type Relation, tableId } from '../model/relation.js'
import { schemasByDatabase, withSchemas } from '../model/resolve-schemas.js'
import { selectRelations } from '../model/select.js'
import { unknownReferenceFindings } from '../model/validate.js'
import { failsOn, markBaseline } from './baseline.js'
import { comparable, keyTypeOf } from './column-types.js'
import { Deadline } from './deadline.js'
import { downstreamEffects } from './downstream.js'
import { type AuditEngine, detectEngine } from './engine.js'
import { SchemaMismatchError } from './errors.js'
import type { Finding, Severity } from './finding.js'
import { cycleFindings } from './findings/cycle.js'
import { optionalNotNullFindings } from './findings/nullability.js'
import { orphanFindings } from './findings/orphans.js'
import { sentinelCandidates, sentinelColumn, sentinelDefault, sentinelFindings } from './findings/sentinel.js'
import type { RelationContext } from './relation-context.js'
import type { CheckReport, RelationResult } from './report.js'
import { parentHasKey, type ScanProgress, scanRelation } from './scan.js'
import { schemaFindings } from './schema-findings.js'

export type { CheckReport, RelationResult } from './report.js'

/** Options of a check run. */
export interface CheckOptions {
  /** Only these relations (by name); all when empty. */
  relations?: string[]
  /** How many orphaned keys to show per relation (default 5). */
  sample?: number
  /** Rows per chunk for large child tables; default 1,000,000 (primary-key chunks: at least 4 × the parent's rows). */
  chunkRows?: number
  /** A time limit for each chunk's statement (ms). */
  chunkTimeoutMs?: number
  /** A time limit for the whole check (ms): what is not counted by then is reported incomplete. */
  maxTimeMs?: number
  /**
   * Expect (almost) no orphans, as after a repair: each chunk is then read once, rows and orphans counted in one
   * LEFT JOIN pass, and sample keys are read by a second statement only where orphans turned up.
   */
  expectClean?: boolean
  /** The lowest severity that makes `ok` false (default `error`). */
  failOn?: Severity
  /** Findings of an earlier run: those (with no higher count) do not make `ok` false. */
  baseline?: Finding[]
  onProgress?: (progress: ScanProgress) => void
}

/** Introspects every database the relations touch, with the schemas they name. */
async function introspectAll(relations: Relation[], databases: DatabaseSet): Promise<Map<string, SchemaInfo>> {
  const entries = await Promise.all(
    [...schemasByDatabase(relations)].map(async ([name, schemas]) => {
      const database = await databases.get(name)
      return [name, await database.introspect(schemas)] as const
    }),
  )
  return new Map(entries)
}

/** Fix-order level of each relation: the dense rank of its child table among the parent-first levels. */
function fixLevels(graph: RelationGraph, relations: Relation[]): Map<string, number> {
  const rank = new Map<string, number>()
  graph.parentFirstLevels().forEach((level, index) => {
    for (const id of level) rank.set(id, index)
  })
  const ranks = [...new Set(relations.map((relation) => rank.get(tableId(relation.child)) as number))].sort((a, b) => a - b)
  return new Map(relations.map((relation) => [relation.name, ranks.indexOf(rank.get(tableId(relation.child)) as number)]))
}

/** Everything one relation's data phase needs. */
interface DataPhase {
  db: Kysely<any>
  engine: AuditEngine
  graph: RelationGraph
  deadline: Deadline
  level: number
  options: CheckOptions
  /** The databases of the relation's child and parent tables (the same one unless the relation crosses databases). */
  databases: RelationDatabases
}

/** Why PostgreSQL cannot count a relation at all: a child key column it cannot compare with the parent's without a cast. */
function uncomparableKey(context: RelationContext): string | undefined {
  if (context.family !== 'postgres') return undefined
  const pairs = context.relation.child.columns.map(
    (name, i) => [findColumn(context.child, name), findColumn(context.parent, context.relation.parent.columns[i] as string)] as const,
  )
  const bad = pairs.find(([child, parent]) => child && parent && !comparable(keyTypeOf(child), keyTypeOf(parent)))
  return bad
    ? `not counted: ${context.child.name}.${bad[0]?.name} (${bad[0]?.type}) cannot be compared with ${context.parent.name}.${bad[1]?.name} (${bad[1]?.type}); fix the type mismatch first`
    : undefined
}

/** A relation's result before counting: nothing read yet. */
function emptyResult(context: RelationContext, level: number): RelationResult {
  const { asWritten } = context
  return {
    name: asWritten.name,
    child: describeSide(asWritten.child),
    // A parent in another database is named as the shorthand writes it: `billing:customers(id)`.
    parent: isCrossDatabase(asWritten) ? `${asWritten.parent.database}:${describeSide(asWritten.parent)}` : describeSide(asWritten.parent),
    childTable: qualifiedName(asWritten.child),
    parentTable: qualifiedName(asWritten.parent),
    rowsChecked: 0,
    orphans: 0,
    share: 0,
    samples: [],
    ms: 0,
    level,
    complete: false,
    scan: { mode: 'skipped', chunks: 0 },
    downstream: [],
  }
}

/**
 * Counts one relation and derives its data findings: sentinels, optional NOT NULL keys, orphans and what their fix
 * orphans next. `crossPlan` is set for a relation across databases: its count is the paged anti-join of crossdb/.
 */
async function checkRelationData(
  context: RelationContext,
  phase: DataPhase,
  crossPlan?: KeyPlan,
): Promise<{ result: RelationResult; findings: Finding[] }> {
  const { relation, family } = context
  const started = performance.now()
  const column = sentinelColumn(context)
  const candidates = column ? sentinelCandidates(column, family) : []
  const scanOptions = {
    deadline: phase.deadline,
    parentUnique: hasUniqueKey(context.parent, relation.parent.columns),
    sentinels: candidates,
    sample: phase.options.sample ?? 5,
    ...(phase.options.expectClean ? { expectClean: true } : {}),
    ...(phase.options.chunkRows ? { chunkRows: phase.options.chunkRows } : {}),
    ...(phase.options.chunkTimeoutMs ? { chunkTimeoutMs: phase.options.chunkTimeoutMs } : {}),
    ...(phase.options.onProgress ? { onProgress: phase.options.onProgress } : {}),
  }
  const scan = crossPlan
    ? await scanCrossDatabase(context, phase.databases, crossPlan, scanOptions)
    : await scanRelation(phase.db, phase.engine, family, relation, context, scanOptions)
  const counts = candidates.map((value, i) => ({ value, rows: scan.sentinelCounts[i] as number }))
  const sentinels = sentinelFindings(context, counts, scan.complete)
  const sentinelValues = sentinels.map((finding) => finding.value as string | number)
  const sentinelRows = sentinels.reduce((sum, finding) => sum + (finding.count ?? 0), 0)
  const result: RelationResult = {
    ...emptyResult(context, phase.level),
    rowsChecked: scan.rowsChecked,
    orphans: scan.orphans,
    share: scan.rowsChecked === 0 ? 0 : scan.orphans / scan.rowsChecked,
    samples: scan.samples,
    complete: scan.complete,
    scan: scan.scan,
  }
  // What deleting a cross-database relation's orphans orphans next is left to the repair's later rounds.
  if (!crossPlan && scan.complete && scan.orphans > sentinelRows && !phase.deadline.expired()) {
    result.downstream = await downstreamEffects(phase.db, relation, phase.graph, sentinelValues)
  }
  const defaultValue = column && !column.nullable ? sentinelDefault(column) : undefined
  const hasKey = (value: string | number) =>
    crossPlan ? crossDatabaseParentHasKey(context, phase.databases, crossPlan, value) : parentHasKey(phase.db, relation, value)
  const defaultHeld =
    defaultValue === undefined || (!counts.some((count) => count.value === defaultValue && count.rows > 0) && (await hasKey(defaultValue)))
  const optional = defaultHeld ? [] : optionalNotNullFindings(context, defaultValue)
  result.ms = Math.round(performance.now() - started)
  const orphans = orphanFindings(context, result, sentinelValues, sentinelRows)
  return { result, findings: [...sentinels, ...optional, ...(crossPlan ? crossDatabaseOrphanFix(orphans, context) : orphans)] }
}

/**
 * The audit: validates the relations against the live schemas, reports what the schema alone shows, then counts
 * every relation's orphans (one pass per relation, chunked for large tables) in fix order, parents first.
 */
export async function runCheck(config: ResolvedConfig, databases: DatabaseSet, options: CheckOptions = {}): Promise<CheckReport> {
  const started = performance.now()
  const selected = selectRelations(config.relations, options.relations)
  const schemas = await introspectAll(selected, databases)
  const graph = new RelationGraph(selected.map((relation) => withSchemas(relation, schemas)))
  const ordered = graph.relationsParentFirst()
  const schemaOf = (database: string) => schemas.get(database) as SchemaInfo
  const unknown = ordered.flatMap((relation) =>
    unknownReferenceFindings(relation, schemaOf(relation.child.database), schemaOf(relation.parent.database)),
  )
  if (unknown.length > 0) throw new SchemaMismatchError(unknown)

  const levels = fixLevels(graph, ordered)
  const deadline = new Deadline(options.maxTimeMs)
  const engines = new Map<string, AuditEngine>()
  const results: RelationResult[] = []
  const findings: Finding[] = []
  for (const relation of ordered) {
    const database = await databases.get(relation.child.database)
    const relationDatabases = { child: database, parent: await databases.get(relation.parent.database) }
    const context: RelationContext = {
      relation,
      asWritten: selected.find((candidate) => candidate.name === relation.name) as Relation,
      child: findTable(schemaOf(relation.child.database), relation.child) as TableInfo,
      parent: findTable(schemaOf(relation.parent.database), relation.parent) as TableInfo,
      family: database.dialect.family,
    }
    if (!engines.has(database.name)) engines.set(database.name, await detectEngine(database.db, database.dialect.name))
    const engine = engines.get(database.name) as AuditEngine
    const phase = {
      db: database.db,
      engine,
      graph,
      deadline,
      level: levels.get(relation.name) as number,
      options,
      databases: relationDatabases,
    }
    const crossPlan = isCrossDatabase(relation) ? crossDatabaseKeyPlan(context, relationDatabases) : undefined
    const uncomparable = crossPlan ? ('problem' in crossPlan ? `not counted: ${crossPlan.problem}` : undefined) : uncomparableKey(context)
    const data = uncomparable
      ? {
          result: { ...emptyResult(context, phase.level), scan: { mode: 'skipped' as const, chunks: 0, note: uncomparable } },
          findings: [],
        }
      : await checkRelationData(context, phase, crossPlan && !('problem' in crossPlan) ? crossPlan : undefined)
    results.push(data.result)
    findings.push(...(crossPlan ? crossDatabaseSchemaFindings(context, crossPlan) : schemaFindings(context)), ...data.findings)
  }
  findings.push(...cycleFindings(graph))
  const marked = options.baseline ? markBaseline(findings, options.baseline) : findings
  return {
    ok: !failsOn(marked, options.failOn ?? 'error'),
    complete: results.every((result) => result.complete),
    relations: results,
    findings: marked,
    fixOrder: results.map((result) => result.name),
    ms: Math.round(performance.now() - started),
  }
}
