import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { BatchStamp } from '../enforce/leaf-batch.js'
import type { Runner } from '../enforce/runner.js'
import { decodeKeys, type Job, type JobAction } from './job.js'
import { JOBS_TABLE } from './tables.js'
import { now, nowPlus } from './time.js'

type Family = 'postgres' | 'mysql'

const JOB_COLUMNS = sql`id, relation, action, parent_keys, attempts, parent_job_id`

interface JobRow {
  id: unknown
  relation: string
  action: string
  parent_keys: string
  attempts: unknown
  parent_job_id: unknown
}

/** A job row as a claimed job; keys that cannot be read become an empty list with `unreadable` set. */
function toJob(row: JobRow): Job & { unreadable?: string } {
  const base = {
    id: String(row.id),
    relation: row.relation,
    action: row.action as JobAction,
    attempts: Number(row.attempts),
    parentJobId: row.parent_job_id === null || row.parent_job_id === undefined ? null : String(row.parent_job_id),
  }
  try {
    return { ...base, changes: decodeKeys(row.parent_keys) }
  } catch (error) {
    return { ...base, changes: [], unreadable: error instanceof Error ? error.message : String(error) }
  }
}

/**
 * No older unfinished job of the same relation that it must wait for. Jobs that only delete commute (each
 * acts on the children of its own keys), so they run in parallel; a job that changes keys runs after every
 * older job of its relation, and every younger one after it: applied in commit order, a key moved twice
 * (1 -> 2, then 2 -> 3) takes its children along both steps, and a key moved and then deleted takes them
 * along before they are deleted.
 */
function inOrder(alias: string): RawBuilder<unknown> {
  const j = (column: string) => sql.id(alias, column)
  return sql`not exists (select 1 from ${sql.id(JOBS_TABLE)} as ${sql.id('o')}
    where ${sql.id('o', 'relation')} = ${j('relation')} and ${sql.id('o', 'id')} < ${j('id')}
      and ${sql.id('o', 'state')} in ('pending', 'running') and (${sql.id('o', 'action')} = 'update' or ${j('action')} = 'update'))`
}

/**
 * The claimable jobs of one kind: due pending jobs (first due first), or running jobs whose lease ran out,
 * because the worker that held them died or lost its connection (they are redone from the start: every
 * job is idempotent).
 */
function candidates(family: Family, kind: 'due' | 'expired', leaseMs: number, id: string | undefined): RawBuilder<unknown> {
  const condition =
    kind === 'due'
      ? sql`${sql.id('j', 'state')} = 'pending' and ${sql.id('j', 'run_after')} <= ${now(family)}`
      : sql`${sql.id('j', 'state')} = 'running' and ${sql.id('j', 'locked_at')} < ${nowPlus(family, -leaseMs)}`
  const only = id === undefined ? sql`` : sql`and ${sql.id('j', 'id')} = ${id}`
  return sql`select ${sql.id('j', 'id')} from ${sql.id(JOBS_TABLE)} as ${sql.id('j')}
    where ${condition} ${only} and ${inOrder('j')}
    order by ${sql.id('j', 'run_after')}, ${sql.id('j', 'id')} limit 1 for update skip locked`
}

/** PostgreSQL and PGlite: one statement locks a candidate (skipping those other workers hold) and takes it. */
async function claimPostgres(db: Kysely<any>, select: RawBuilder<unknown>, workerId: string): Promise<JobRow | undefined> {
  const { rows } =
    await sql<JobRow>`update ${sql.id(JOBS_TABLE)} set state = 'running', locked_by = ${workerId}, locked_at = ${now('postgres')}
    where id = (${select}) returning ${JOB_COLUMNS}`.execute(db)
  return rows[0]
}

/** MySQL family (MariaDB 10.6+, MySQL 8): no UPDATE ... RETURNING, so a short transaction locks, reads and takes the row. */
async function claimMysql(db: Kysely<any>, select: RawBuilder<unknown>, workerId: string): Promise<JobRow | undefined> {
  // READ COMMITTED: the locking read takes no gap locks that would hold up the application's outbox inserts.
  return db
    .transaction()
    .setIsolationLevel('read committed')
    .execute(async (trx) => {
      const { rows } = await sql<{ id: unknown }>`${select}`.execute(trx)
      const id = rows[0]?.id
      if (id === undefined) return undefined
      await sql`update ${sql.id(JOBS_TABLE)} set state = 'running', locked_by = ${workerId}, locked_at = ${now('mysql')} where id = ${id}`.execute(
        trx,
      )
      const claimed = await sql<JobRow>`select ${JOB_COLUMNS} from ${sql.id(JOBS_TABLE)} where id = ${id}`.execute(trx)
      return claimed.rows[0]
    })
}

/**
 * Claims one job for `workerId` under a lease of `leaseMs`: a running job whose lease ran out first, then the
 * first due pending job; with `id`, only that job. `FOR UPDATE SKIP LOCKED` makes concurrent workers take
 * different jobs without waiting on each other.
 */
export async function claimJob(
  db: Kysely<any>,
  family: Family,
  workerId: string,
  leaseMs: number,
  id?: string,
): Promise<(Job & { unreadable?: string }) | undefined> {
  for (const kind of ['expired', 'due'] as const) {
    const select = candidates(family, kind, leaseMs, id)
    const row = family === 'postgres' ? await claimPostgres(db, select, workerId) : await claimMysql(db, select, workerId)
    if (row) return toJob(row)
  }
  return undefined
}

/** Whether any job is pending or running: a worker started with `once` stops when none is. */
export async function hasOpenJobs(db: Kysely<any>): Promise<boolean> {
  const { rows } =
    await sql`select 1 as ${sql.id('open')} from ${sql.id(JOBS_TABLE)} where state in ('pending', 'running') limit 1`.execute(db)
  return rows.length > 0
}

/** The job `id` while it is still `workerId`'s: claimed by it, and not taken over since (its lease ran out and another worker claimed it). */
function heldBy(id: string, workerId: string): RawBuilder<unknown> {
  return sql`id = ${id} and locked_by = ${workerId} and state = 'running'`
}

/**
 * Renews the lease at the start of a batch, in the batch's transaction, and keeps the job row locked until
 * it commits: false when the job is no longer this worker's (its lease ran out and another worker took it),
 * and the batch must not run.
 */
export async function holdLease(runner: Runner, job: Job, workerId: string): Promise<boolean> {
  const result = await runner.run(sql`update ${sql.id(JOBS_TABLE)} set locked_at = ${now(runner.family)} where ${heldBy(job.id, workerId)}`)
  return Number(result.numAffectedRows ?? 0) > 0
}

/** A batch found, at its end, that its job is no longer this worker's: thrown to roll the batch back. */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} was taken over by another worker after its lease ran out`)
  }
}

/**
 * Adds a batch's rows to the job, and marks it done when `finished`: in the batch's own transaction. With
 * `workerId`, it also renews the lease, and only while the job is still that worker's: false when it is not (its
 * lease ran out and another worker took it over), and then the batch must roll back. Checking at the end rather than
 * before the batch saves a round trip: a batch run by a worker that lost the job changes nothing, since it cannot commit.
 */
export async function recordBatch(runner: Runner, job: Job, rows: number, finished: boolean, workerId?: string): Promise<boolean> {
  const done = finished ? sql`, state = 'done', done_at = ${now(runner.family)}` : sql``
  const lease = workerId === undefined ? sql`` : sql`, locked_at = ${now(runner.family)}`
  const which = workerId === undefined ? sql`id = ${job.id}` : heldBy(job.id, workerId)
  const result = await runner.run(sql`update ${sql.id(JOBS_TABLE)} set rows_done = rows_done + ${rows}${lease}${done} where ${which}`)
  return Number(result.numAffectedRows ?? 0) > 0
}

/**
 * PostgreSQL: the bookkeeping a leaf batch folds into its one statement, as `recordBatch` does it in a batch's
 * transaction: the job's row locked while it is still `workerId`'s, its rows added and its lease renewed; `slot`,
 * how a batch of a run waits for its slot under a cap (see batch-slots.ts).
 */
export function leaseStamp(job: Job, workerId: string, slot?: string): BatchStamp {
  return {
    owner: sql`select id from ${sql.id(JOBS_TABLE)} where ${heldBy(job.id, workerId)} for update`,
    record: (rows) =>
      sql`update ${sql.id(JOBS_TABLE)} set rows_done = rows_done + ${rows}, locked_at = ${now('postgres')} where id in (select id from ${sql.id('owned')})`,
    runs: true,
    ...(slot === undefined ? {} : { slot }),
  }
}

/**
 * Hands a job back to the queue at once (a worker stopping between batches), rather than waiting for its lease to
 * run out; unpublished again, so that the outbox relay announces it to the other workers.
 */
export async function releaseJob(db: Kysely<any>, job: Job, workerId: string): Promise<void> {
  await sql`update ${sql.id(JOBS_TABLE)} set state = 'pending', locked_by = null, locked_at = null, published_at = null
    where ${heldBy(job.id, workerId)}`.execute(db)
}
