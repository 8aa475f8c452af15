import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import { type CheckOptions, runCheck } from '../audit/check.js'
import { Deadline } from '../audit/deadline.js'
import type { CheckReport } from '../audit/report.js'
import type { ResolvedConfig } from '../config/normalize.js'
import { isCrossDatabase } from '../crossdb/key-plan.js'
import { crossDatabaseChange } from '../crossdb/repair-batch.js'
import { crossDatabaseRepairJoin, refuseCrossDatabaseStrategy } from '../crossdb/repair-join.js'
import { crossDatabaseScopes } from '../crossdb/repair-scopes.js'
import type { DatabaseSet } from '../db/database-set.js'
import { findTable, type SchemaInfo, type TableInfo } from '../db/schema-info.js'
import { UsageError } from '../errors.js'
import type { Relation } from '../model/relation.js'
import { schemasByDatabase, withSchemas } from '../model/resolve-schemas.js'
import { selectRelations } from '../model/select.js'
import { type ArchiveSink, fileArchive, tableArchive } from './archive.js'
import { type BatchContext, type BatchScope, runBatch } from './batch.js'
import { type KeyGroup, orphanKeyGroups, sentinelKeyGroup, stepWalk } from './key-groups.js'
import { planSteps, refuseImpossibleStrategy, relationsInReach, type Strategy, validateStrategies } from './plan.js'
import { createRun, loadRun, newRunId, type RunState, type StepProgress, saveRunState } from './runs.js'
import { ensureRepairTables } from './tables.js'
import { type LagReader, waitForReplica } from './throttle.js'

/** More rounds than this means the repair is not converging (a cycle re-creating orphans): stop and say so. */
const MAX_ROUNDS = 10

/** Options of `refguard repair`. */
export interface RepairOptions {
  relations?: string[]
  strategies?: Record<string, Strategy>
  /** Change data (default: only plan). */
  apply?: boolean
  /** Also run the ALTERs sentinel steps need. */
  alter?: boolean
  batchSize?: number
  sleepMs?: number
  maxTimeMs?: number
  /** `table` (refguard_archive, default) or `file:PATH` (JSONL). */
  archive?: string
  /** Continue this run instead of starting one. */
  resume?: string
  /** MySQL/MariaDB: wait before each batch while this replica is more than `maxLagSeconds` behind. */
  replica?: { readLag: LagReader; maxLagSeconds: number }
  sample?: number
  onProgress?: (progress: { relation: string; rows: number; fraction?: number }) => void
}

/** What `refguard repair --json` prints and `guard.repair()` returns. */
export interface RepairReport {
  /** Null for a dry run. */
  runId: string | null
  applied: boolean
  /** True when every step ran to its end and a final check found nothing left to do. */
  complete: boolean
  archive: string
  rounds: number
  steps: StepProgress[]
  changed: number
  archived: number
  /** Orphans left after the run (or now, for a dry run), excluding relations the run was told to ignore. */
  remainingOrphans: number
  /** The latest audit, with its samples: the plan's for a dry run, else the one after the last round (or the stop). */
  check: CheckReport
  /** The longest batch transaction of this process, from BEGIN to the end of COMMIT, as the client saw it. */
  longestBatchMs: number
  ms: number
}

interface RepairContext {
  config: ResolvedConfig
  databases: DatabaseSet
  relations: Relation[]
  db: Kysely<any>
  family: 'postgres' | 'mysql'
  /** Whether batches may commit without waiting for the WAL flush: a PostgreSQL server (not PGlite, not MySQL). */
  asyncCommit: boolean
  /** The schema of the database whose rows the repair changes. */
  schema: SchemaInfo
  /** The schemas of every database the relations touch: parents may live in other databases. */
  schemas: Map<string, SchemaInfo>
}

/**
 * The one database whose rows a repair changes: every selected relation's child table must live in it (the run
 * state and the archive live there too). Parent tables may live in other databases, which are only read.
 */
async function repairContext(config: ResolvedConfig, databases: DatabaseSet, names?: string[]): Promise<RepairContext> {
  const selected = selectRelations(config.relations, names)
  const databaseNames = [...new Set(selected.map((relation) => relation.child.database))]
  if (databaseNames.length > 1) {
    throw new UsageError(
      `repair changes one database at a time, and these relations' child tables are in ${databaseNames.join(', ')}`,
      'run repair once per database with --relation',
    )
  }
  const childDatabase = databaseNames[0] ?? config.defaultDatabase
  const database = await databases.get(childDatabase)
  const wanted = schemasByDatabase(selected)
  if (!wanted.has(childDatabase)) wanted.set(childDatabase, [])
  const schemas = new Map<string, SchemaInfo>()
  for (const [name, names] of wanted) schemas.set(name, await (await databases.get(name)).introspect(names))
  const resolved = selected.map((relation) => withSchemas(relation, schemas))
  const schema = schemas.get(childDatabase) as SchemaInfo
  const { family, name } = database.dialect
  return { config, databases, relations: resolved, db: database.db, family, asyncCommit: name === 'postgres', schema, schemas }
}

function remaining(report: CheckReport, strategies: Record<string, string>): number {
  return report.relations.filter((relation) => strategies[relation.name] !== 'ignore').reduce((sum, relation) => sum + relation.orphans, 0)
}

function toProgress(steps: ReturnType<typeof planSteps>): StepProgress[] {
  return steps.map((step) => ({
    ...step,
    changed: 0,
    archived: 0,
    batches: 0,
    status: step.skip || step.strategy === 'ignore' ? 'skipped' : 'pending',
  }))
}

/** What the batches of one process measured. */
interface BatchTiming {
  longestMs: number
}

/** The batches of one scope, until it has no rows left (true) or the time is up (false). */
async function runScope(
  batch: BatchContext,
  scope: BatchScope,
  deadline: Deadline,
  options: RepairOptions,
  timing: BatchTiming,
): Promise<boolean> {
  const step = batch.run.steps[batch.stepIndex] as StepProgress
  for (;;) {
    if (options.replica) await waitForReplica(options.replica.readLag, options.replica.maxLagSeconds, deadline)
    if (deadline.expired()) return false
    const started = performance.now()
    const more = await runBatch(batch, scope)
    timing.longestMs = Math.max(timing.longestMs, performance.now() - started)
    options.onProgress?.({
      relation: batch.relation.name,
      rows: step.changed,
      ...(step.planned > 0 ? { fraction: Math.min(1, step.changed / step.planned) } : {}),
    })
    if (batch.run.options.sleepMs > 0) await sleep(batch.run.options.sleepMs)
    if (!more) return true
  }
}

/** The key groups a step walks: its orphaned keys chunk by chunk, or its one sentinel value. */
function keyGroupsOf(context: RepairContext, batch: BatchContext): AsyncIterable<KeyGroup> {
  const step = batch.run.steps[batch.stepIndex] as StepProgress
  const parent = findTable(context.schema, batch.relation.parent)
  if (step.kind === 'sentinel' || !parent)
    return (async function* () {
      yield sentinelKeyGroup(step)
    })()
  const walk = {
    db: context.db,
    family: context.family,
    relation: batch.relation,
    child: batch.child,
    parent,
    step,
    batchSize: batch.batchSize,
  }
  return orphanKeyGroups(walk, step.from !== undefined ? BigInt(step.from) : undefined)
}

/** Runs the pending steps of a run, batch by batch, until done or out of time; false when it stopped early. */
async function runSteps(
  context: RepairContext,
  run: RunState,
  archive: ArchiveSink,
  deadline: Deadline,
  options: RepairOptions,
  timing: BatchTiming,
): Promise<boolean> {
  for (const [index, step] of run.steps.entries()) {
    if (step.status !== 'pending') continue
    const relation = context.relations.find((candidate) => candidate.name === step.relation) as Relation
    const child = findTable(context.schema, relation.child)
    if (!child) throw new UsageError(`relation "${relation.name}": table ${relation.child.table} no longer exists`)
    if (step.kind === 'sentinel' && step.alter && step.batches === 0) await sql.raw(step.alter).execute(context.db)
    const batch: BatchContext = {
      db: context.db,
      family: context.family,
      relation,
      child,
      step,
      stepIndex: index,
      run,
      archive,
      batchSize: run.options.batchSize,
      asyncCommit: context.asyncCommit,
    }
    if (isCrossDatabase(relation)) {
      const join = await crossDatabaseJoin(context, relation, child)
      const crossBatch = { ...batch, change: crossDatabaseChange(join) }
      for await (const scope of crossDatabaseScopes(join, step, batch.batchSize)) {
        if (!(await runScope(crossBatch, scope, deadline, options, timing))) return false
      }
    } else if (stepWalk(step, relation, child) === 'primary-key') {
      if (!(await runScope(batch, { kind: 'primary-key' }, deadline, options, timing))) return false
    } else {
      for await (const group of keyGroupsOf(context, batch)) {
        if (group.from !== undefined) step.from = group.from.toString()
        const scope: BatchScope = { kind: 'keys', keys: group.keys, ...(group.rows !== undefined ? { rows: group.rows } : {}) }
        if (!(await runScope(batch, scope, deadline, options, timing))) return false
      }
    }
    step.status = 'done'
    await saveRunState(context.db, run)
  }
  return true
}

/** The anti-join of a relation whose parent table is in another database. */
async function crossDatabaseJoin(context: RepairContext, relation: Relation, child: TableInfo) {
  const parent = findTable(context.schemas.get(relation.parent.database) as SchemaInfo, relation.parent)
  if (!parent) throw new UsageError(`relation "${relation.name}": table ${relation.parent.table} no longer exists`)
  const databases = {
    child: await context.databases.get(relation.child.database),
    parent: await context.databases.get(relation.parent.database),
  }
  return crossDatabaseRepairJoin(relation, { child, parent }, databases)
}

/** The audit of the run's relations: `confirming` after a round, when (almost) no orphans are expected. */
async function checkAgain(context: RepairContext, options: RepairOptions, confirming = false): Promise<CheckReport> {
  const checkOptions: CheckOptions = {
    relations: context.relations.map((relation) => relation.name),
    sample: options.sample ?? 5,
    ...(confirming ? { expectClean: true } : {}),
  }
  return runCheck(context.config, context.databases, checkOptions)
}

/**
 * The repair: audits the relations, plans one step per sentinel and per relation with orphans (parents first),
 * and with `apply` runs them in short archived batches, repeating until a check finds nothing left (a fixpoint).
 * Without `apply` it only plans. `resume` continues an interrupted run where its last committed batch left off.
 */
export async function runRepair(config: ResolvedConfig, databases: DatabaseSet, options: RepairOptions = {}): Promise<RepairReport> {
  const started = performance.now()
  const resumed = options.resume ? await loadRun((await repairContext(config, databases)).db, options.resume) : undefined
  const names = resumed ? resumed.options.relations : options.relations
  const context = await repairContext(config, databases, names && names.length > 0 ? names : undefined)
  const strategies = resumed
    ? (resumed.options.strategies as Record<string, Strategy>)
    : validateStrategies(options.strategies ?? {}, config.relations)
  let check = await checkAgain(context, options)
  const alter = resumed?.options.alter ?? Boolean(options.alter)
  const steps = resumed ? resumed.steps : toProgress(planSteps(check, context.relations, strategies, alter))
  const pending = steps.filter((step) => step.status === 'pending' && step.kind === 'orphans').map((step) => step.relation)
  for (const [relation, strategy] of relationsInReach(pending, context.relations, strategies)) {
    const child = findTable(context.schema, relation.child)
    if (isCrossDatabase(relation)) refuseCrossDatabaseStrategy(relation, strategy)
    if (child) refuseImpossibleStrategy(relation, strategy, child)
  }
  const archiveOption = resumed?.options.archive ?? options.archive ?? 'table'
  const timing: BatchTiming = { longestMs: 0 }
  const report = (run: RunState | undefined, complete: boolean): RepairReport => ({
    runId: run?.id ?? null,
    applied: Boolean(run),
    complete,
    archive: archiveOption,
    rounds: run?.rounds ?? 0,
    steps: run?.steps ?? steps,
    changed: (run?.steps ?? []).reduce((sum, step) => sum + step.changed, 0),
    archived: (run?.steps ?? []).reduce((sum, step) => sum + step.archived, 0),
    remainingOrphans: remaining(check, strategies),
    check,
    longestBatchMs: Math.round(timing.longestMs * 10) / 10,
    ms: Math.round(performance.now() - started),
  })
  if (!options.apply && !resumed) return report(undefined, false)
  if (resumed?.status === 'done' || resumed?.status === 'restored') {
    throw new UsageError(`repair run "${resumed.id}" is already ${resumed.status}`, 'start a new run with refguard repair --apply')
  }

  await ensureRepairTables(context.db, context.family)
  const archive = archiveOption.startsWith('file:') ? fileArchive(archiveOption.slice('file:'.length)) : tableArchive(context.db)
  const run: RunState = resumed ?? {
    id: newRunId(),
    options: {
      batchSize: options.batchSize ?? 1000,
      sleepMs: options.sleepMs ?? 0,
      archive: archiveOption,
      alter,
      relations: context.relations.map((relation) => relation.name),
      strategies,
    },
    steps,
    batches: 0,
    rounds: 1,
    status: 'running',
  }
  if (resumed) await archive.truncateAfter(run.id, run.batches)
  else await createRun(context.db, run)
  const deadline = new Deadline(options.maxTimeMs)
  let converged = false
  for (;;) {
    if (!(await runSteps(context, run, archive, deadline, options, timing))) {
      run.status = 'stopped'
      await saveRunState(context.db, run)
      check = await checkAgain(context, options)
      return report(run, false)
    }
    check = await checkAgain(context, options, true)
    const next = toProgress(planSteps(check, context.relations, strategies, alter)).filter((step) => step.status === 'pending')
    converged = next.length === 0
    if (converged || run.rounds >= MAX_ROUNDS) break
    run.rounds++
    run.steps.push(...next)
    await saveRunState(context.db, run)
  }
  run.status = 'done'
  await saveRunState(context.db, run)
  return report(run, converged)
}
