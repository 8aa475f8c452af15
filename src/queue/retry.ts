import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import type { Job, JobState } from './job.js'
import { JOBS_TABLE } from './tables.js'
import { now, nowPlus } from './time.js'

/** The longest wait between two attempts of a job. */
const MAX_BACKOFF_MS = 60 * 60_000
/** How much of an error's text a job row keeps. */
const MAX_ERROR_LENGTH = 4000

/** A failure that no retry can mend (the relation left the configuration, the job's keys are unreadable): the job dies at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PermanentJobError'
  }
}

/** Error codes of failures that concurrency causes and an immediate retry of the transaction mends. */
const TRANSIENT_CODES = new Set([
  '40001', // serialization_failure (PostgreSQL), and MySQL's SQLSTATE for a deadlock
  '40P01', // deadlock_detected (PostgreSQL)
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
])
/** How often a batch is retried at once after a deadlock before it counts as a failed attempt. */
const TRANSIENT_RETRIES = 5

function isTransient(error: unknown): boolean {
  const { code, sqlState } = (error ?? {}) as { code?: unknown; sqlState?: unknown }
  return TRANSIENT_CODES.has(String(code)) || TRANSIENT_CODES.has(String(sqlState))
}

/**
 * Runs a batch's transaction, again at once (after a short random pause) when it lost a deadlock: jobs of
 * different relations may lock the same child rows in different orders, and the database picks a victim.
 */
export async function retryTransient<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (!isTransient(error) || attempt > TRANSIENT_RETRIES) throw error
      await sleep(5 + Math.random() * 20 * attempt)
    }
  }
}

/** How long to wait before the next attempt, after `attempts` failed ones: `baseMs`, doubling each time, at most an hour. */
export function backoffMs(baseMs: number, attempts: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS)
}

/** The text a job row keeps of an error. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text
}

/**
 * Records a failed attempt: the job waits its backoff and is tried again, or, after `maxAttempts` failed
 * attempts (or a PermanentJobError), is dead-lettered: state `dead`, the error kept in `last_error`,
 * never claimed again. Only while the job is still this worker's. Returns the job's new state.
 */
export async function failJob(
  db: Kysely<any>,
  family: 'postgres' | 'mysql',
  job: Job,
  workerId: string,
  error: unknown,
  options: { maxAttempts: number; backoffMs: number },
): Promise<Extract<JobState, 'pending' | 'dead'>> {
  // The lease makes this worker the only writer of the row, so the count read at the claim is current.
  const attempts = job.attempts + 1
  const state = error instanceof PermanentJobError || attempts >= options.maxAttempts ? 'dead' : 'pending'
  const runAfter = state === 'dead' ? now(family) : nowPlus(family, backoffMs(options.backoffMs, attempts))
  await sql`update ${sql.id(JOBS_TABLE)} set state = ${state}, attempts = ${attempts}, last_error = ${errorText(error)},
    run_after = ${runAfter}, locked_by = null, locked_at = null, done_at = ${state === 'dead' ? now(family) : null}
    where id = ${job.id} and locked_by = ${workerId}`.execute(db)
  return state
}
