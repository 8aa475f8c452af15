import { randomBytes } from 'node:crypto'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { UsageError } from '../errors.js'
import type { RepairStep } from './plan.js'
import { RUNS_TABLE } from './tables.js'

/** How far one step of a run got: committed together with each batch. */
export interface StepProgress extends RepairStep {
  /** The primary key of the last row a committed batch looked at. */
  cursor?: unknown[]
  /** Steps walking reference keys: the first key of the range in progress (a decimal string), where a resumed step reads on. */
  from?: string
  changed: number
  archived: number
  batches: number
  status: 'pending' | 'done' | 'skipped'
}

/** A repair run as `refguard_runs` keeps it: enough to resume it after a crash and to restore it. */
export interface RunState {
  id: string
  /** The options the run was started with, so `--resume` repeats them. */
  options: { batchSize: number; sleepMs: number; archive: string; alter: boolean; relations: string[]; strategies: Record<string, string> }
  steps: StepProgress[]
  /** Batches committed so far, across steps: the archive's batch numbers. */
  batches: number
  /** Fixpoint rounds started. */
  rounds: number
  status: 'running' | 'done' | 'stopped' | 'restored'
}

/** A run id people can read and type: `r20261122-054012-3fa9`. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `r${stamp}-${randomBytes(2).toString('hex')}`
}

/** Records a new run. */
export async function createRun(db: Kysely<any>, run: RunState): Promise<void> {
  await sql`insert into ${sql.id(RUNS_TABLE)} (id, status, state) values (${run.id}, ${run.status}, ${JSON.stringify(run)})`.execute(db)
}

/** Writes a run's state; inside a batch's transaction, so the cursor moves only when the batch commits. */
export async function saveRunState(db: Kysely<any>, run: RunState): Promise<void> {
  const finished = run.status === 'running' ? sql`null` : sql`current_timestamp`
  await sql`update ${sql.id(RUNS_TABLE)} set status = ${run.status}, state = ${JSON.stringify(run)}, finished_at = ${finished} where id = ${run.id}`.execute(
    db,
  )
}

/**
 * PostgreSQL: the UPDATE recording a batch inside the statement that makes it, where only the statement knows how
 * many rows it changed (`rows`, an SQL expression): `after` is the run once the batch is counted, and the step's
 * changed and archived counts are raised by `rows` in SQL. It writes nothing when `rows` is 0.
 */
export function batchProgressSql(after: RunState, stepIndex: number, rows: RawBuilder<unknown>): RawBuilder<unknown> {
  const step = after.steps[stepIndex] as StepProgress
  const raised = (field: 'changed' | 'archived', state: RawBuilder<unknown>) =>
    sql`jsonb_set(${state}, ${['steps', String(stepIndex), field]}::text[], to_jsonb(${step[field]}::bigint + ${rows}))`
  const state = raised('archived', raised('changed', sql`${JSON.stringify(after)}::jsonb`))
  return sql`update ${sql.id(RUNS_TABLE)} set state = ${state} where id = ${after.id} and ${rows} > 0`
}

/** Reads a run, or says which runs exist. */
export async function loadRun(db: Kysely<any>, id: string): Promise<RunState> {
  const { rows } = await sql<{ state: unknown }>`select state from ${sql.id(RUNS_TABLE)} where id = ${id}`
    .execute(db)
    .catch(() => ({ rows: [] }))
  if (rows.length === 0) {
    const recent = await sql<{ id: string }>`select id from ${sql.id(RUNS_TABLE)} order by started_at desc limit 5`
      .execute(db)
      .catch(() => ({ rows: [] }))
    const known = recent.rows.map((row) => row.id)
    throw new UsageError(
      `unknown repair run "${id}"`,
      known.length > 0 ? `recent runs: ${known.join(', ')}` : 'no repair has been applied to this database yet (refguard repair --apply)',
    )
  }
  const state = rows[0]?.state
  return (typeof state === 'string' ? JSON.parse(state) : state) as RunState
}
