import { type Kysely, sql } from 'kysely'
import { JOBS_TABLE } from './tables.js'
import { now } from './time.js'
import type { Transport } from './transports/transport.js'

type Family = 'postgres' | 'mysql'

/** Job ids one round publishes; after a full round the next one follows at once. */
const ROUND_SIZE = 500
/** The pause between rounds while there is nothing more to publish (varied a little, so the relays of many workers spread out). */
const INTERVAL_MS = 500
/** The shortest pause between rounds: nudges from a busy worker run a round at most this often. */
const NUDGED_INTERVAL_MS = 50
/** The longest pause after failed rounds (the broker or the database is away). */
const MAX_ERROR_PAUSE_MS = 5_000

/**
 * One round of the outbox relay: publishes the ids of up to `limit` jobs that are committed, pending, due, and not
 * announced since they became due (new jobs, whose published_at is null, and retried or handed-back jobs, whose
 * run_after moved past it), and records `published_at` only once the broker has confirmed them: a publish that
 * fails leaves them to the next round, so a job created while the broker is down is announced after it is back.
 * No row is locked, so relays in several workers may announce a job twice; a duplicate is harmless (the second
 * claim fails and its message is acked). A lock held over the publish would instead hide the jobs from the
 * workers' claims for as long as a broker outage makes the publish wait, just when the table fallback needs them.
 * Returns how many job ids it published.
 */
export async function relayJobs(db: Kysely<any>, family: Family, transport: Transport, limit = ROUND_SIZE): Promise<number> {
  const { rows } = await sql<{ id: unknown; attempts: unknown }>`select id, attempts from ${sql.id(JOBS_TABLE)}
    where state = 'pending' and run_after <= ${now(family)} and (published_at is null or published_at < run_after)
    order by run_after, id limit ${sql.lit(limit)}`.execute(db)
  if (rows.length === 0) return 0
  await transport.publish(rows.map((row) => ({ jobId: String(row.id) })))
  const byAttempts = new Map<number, string[]>()
  for (const row of rows) byAttempts.set(Number(row.attempts), [...(byAttempts.get(Number(row.attempts)) ?? []), String(row.id)])
  // A job that failed meanwhile (its attempts moved on) stays unannounced: its retry is announced when it is due.
  for (const [attempts, ids] of byAttempts) {
    await sql`update ${sql.id(JOBS_TABLE)} set published_at = ${now(family)}
      where id in (${sql.join(ids)}) and attempts = ${attempts}`.execute(db)
  }
  return rows.length
}

/** A running relay. */
export interface Relay {
  /** Runs the next round soon rather than after the pause: a worker's batch may just have committed new jobs. */
  nudge(): void
  /** Stops after the round under way (a publish waiting for the broker ends when the transport closes). */
  stop(): Promise<void>
}

/**
 * Runs the outbox relay until stopped: a round every half second, soon after a nudge, and again at once while
 * rounds come back full. Errors (the broker away longer than a publish waits, a lost database connection) go to
 * `onError`, and the next round follows after a pause that doubles with every failed round, up to 5 s.
 */
export function startRelay(options: { db: Kysely<any>; family: Family; transport: Transport; onError?: (error: unknown) => void }): Relay {
  let stopping = false
  let nudged = false
  let wake: (() => void) | undefined
  /** Resolves after `ms`, or (`wakeable`) earlier on a nudge or stop. */
  const pause = (ms: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      if (wakeable) wake = done
    })

  const running = (async () => {
    for (let failures = 0; !stopping;) {
      nudged = false
      let published = 0
      try {
        published = await relayJobs(options.db, options.family, options.transport)
        failures = 0
      } catch (error) {
        if (stopping) return
        failures++
        options.onError?.(error)
      }
      if (stopping) return
      if (published === ROUND_SIZE) continue
      if (nudged && failures === 0) await pause(NUDGED_INTERVAL_MS, false)
      else {
        const ms = failures > 0 ? Math.min(INTERVAL_MS * 2 ** failures, MAX_ERROR_PAUSE_MS) : INTERVAL_MS
        await pause(Math.round(ms * (0.75 + Math.random() / 2)), true)
      }
    }
  })()

  return {
    nudge() {
      nudged = true
      wake?.()
    },
    stop() {
      stopping = true
      wake?.()
      return running
    },
  }
}
