import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ResolvedConfig } from '../config/normalize.js'
import type { RefguardConfig } from '../config/types.js'
import { createGuard, type Guard, type GuardOptions } from '../enforce/guard.js'
import { engineOf } from '../enforce/own-transaction.js'
import { isQueueable } from '../enforce/queued-actions.js'
import { UsageError } from '../errors.js'
import { claimJob, hasOpenJobs, releaseJob } from './claim.js'
import { crossDatabaseJobs } from './cross-database-jobs.js'
import type { Job, JobAction, JobState } from './job.js'
import { errorText, failJob, PermanentJobError } from './retry.js'
import { type JobRun, runLocalJob } from './job-run.js'
import { assertJobTables } from './tables.js'
import { brokerFeed, connectBroker } from './broker-feed.js'
import { databaseFeed, type JobFeed, type TransportName, transportByName } from './feed.js'
import { type Relay, startRelay } from './relay.js'
import { purgeDoneJobs } from './retention.js'
import type { TransportOptions } from './transports/transport.js'

/** Options of `startWorker`: what to serve (a guard, or a config to make one from) and how. */
export interface WorkerOptions {
  /** The guard whose database and relations the worker serves; it stays open when the worker stops. */
  guard?: Guard
  /** Or a config (as `createGuard` takes): the worker makes its own guard and closes it when it stops. */
  config?: RefguardConfig | ResolvedConfig | GuardOptions
  /** With `config`: the database whose refguard_jobs the worker serves (default: the config's default database). */
  database?: string
  /** Jobs worked on at once, each on its own connection (default 1). */
  concurrency?: number
  /** Child rows per batch; each batch is its own short transaction (default 1000). */
  batchSize?: number
  /**
   * At most this many batches at once on the database, counted across every worker that sets it, on any machine: a
   * cap on the server's cores that cascades take (PostgreSQL only; default: no cap; see batch-slots.ts). A leaf batch
   * sent alone, not in a run, and jobs whose children are in another database are not counted.
   */
  dbConcurrency?: number
  /** Failed attempts after which a job is dead-lettered (default 5). */
  maxAttempts?: number
  /** How long a claimed job stays this worker's without a batch committing; then another worker may take it over (default 60 s). */
  leaseMs?: number
  /** Wait before the second attempt of a failed job, doubling with every further attempt, at most an hour (default 1 s). */
  backoffMs?: number
  /**
   * How often to look for work while there is none (default 1 s). With a broker, how often a waiting worker claims
   * from the table anyway (default 10 s): a job whose message was lost, or whose worker died, is not stuck.
   */
  pollMs?: number
  /** Drain the queue, then stop: when no job is pending or running any more (retries waited for). */
  once?: boolean
  /** The worker's name in `locked_by` (default host:pid:random). */
  id?: string
  /**
   * How the worker hears of work: 'database' (default) polls refguard_jobs; 'rabbitmq' or 'nats' consume the job
   * ids that an outbox relay publishes to the broker at `brokerUrl` (the job row stays the truth).
   */
  transport?: TransportName
  /** The broker (default amqp://guest:guest@127.0.0.1:5672 for rabbitmq, nats://127.0.0.1:4222 for nats). */
  brokerUrl?: string
  /** The broker's queue, stream and consumer names, and who to tell when its connection drops and comes back. */
  transportOptions?: TransportOptions
  /** With a broker: run the outbox relay in this worker too (default true); at least one worker (or process) must. */
  relay?: boolean
  /** Or a feed of your own (instead of `transport`). */
  feed?: JobFeed
  /** Called after each job the worker finishes, gives up or hands back. */
  onJob?: (event: JobEvent) => void
  /** Called with errors the worker survives (a lost connection while claiming); it tries again after `pollMs`. */
  onError?: (error: unknown) => void
  /** How long done jobs stay in refguard_jobs (default 7 days); an idle worker deletes older ones, at most once a minute. */
  keepDoneMs?: number
}

/** What happened to one job in this worker: `done`, `pending` (to be retried, or handed back on stop) or `dead`. */
export interface JobEvent {
  id: string
  relation: string
  action: JobAction
  state: Extract<JobState, 'done' | 'pending' | 'dead'>
  /** Child rows this worker deleted or changed for the job. */
  rows: number
  ms: number
  /** Failed attempts so far. */
  attempts: number
  /** The error of a failed attempt. */
  error?: string
}

/** What a worker did before it stopped. */
export interface WorkerSummary {
  done: number
  retried: number
  dead: number
  rows: number
}

/** A running worker. */
export interface Worker {
  /** Its name in `locked_by`. */
  readonly id: string
  /** Resolves when the worker has stopped (after `stop()`, or with `once` when the queue is drained); rejects on a fatal error. */
  readonly stopped: Promise<WorkerSummary>
  /** Finishes the batches under way, hands their jobs back to the queue and stops. */
  stop(): Promise<WorkerSummary>
}

const PURGE_INTERVAL_MS = 60_000

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 1) throw new UsageError(`${name} must be at least 1, got ${value}`)
  return value
}

/**
 * Starts a worker for queued relations: claims jobs from refguard_jobs (FOR UPDATE SKIP LOCKED, under a
 * lease), applies each relation's action to the children in batches through the enforcement engine,
 * retries failures with exponential backoff and dead-letters a job after `maxAttempts`. With a broker
 * transport it connects first (a TransportError naming the URL and the fix when it cannot), waits for job ids
 * from the broker, claims the job a message names first, and also runs the outbox relay that publishes them.
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const kind = transportByName(options.transport ?? 'database')
  const broker = kind === 'database' ? undefined : kind
  const settings = {
    concurrency: positive('concurrency', options.concurrency, 1),
    batchSize: positive('batchSize', options.batchSize, 1000),
    maxAttempts: positive('maxAttempts', options.maxAttempts, 5),
    leaseMs: positive('leaseMs', options.leaseMs, 60_000),
    backoffMs: positive('backoffMs', options.backoffMs, 1000),
    pollMs: positive('pollMs', options.pollMs, broker ? 10_000 : 1000),
    keepDoneMs: positive('keepDoneMs', options.keepDoneMs, 7 * 24 * 3_600_000),
    dbConcurrency: options.dbConcurrency === undefined ? undefined : positive('dbConcurrency', options.dbConcurrency, 1),
  }
  if (!options.guard && !options.config) throw new UsageError('startWorker needs a guard or a config', 'pass { guard } or { config }')
  if (options.feed && options.transport) throw new UsageError('startWorker takes a transport or a feed, not both')
  if (options.brokerUrl !== undefined && !broker) {
    throw new UsageError('a broker URL needs a broker transport', 'pass transport: rabbitmq or nats (--transport rabbitmq|nats)')
  }
  const owned = options.guard
    ? undefined
    : await createGuard(options.config as RefguardConfig | ResolvedConfig | GuardOptions, { database: options.database })
  const guard = (options.guard ?? owned) as Guard
  const engine = engineOf(guard)
  let feed = options.feed ?? databaseFeed()
  let relay: Relay | undefined
  try {
    if (settings.dbConcurrency !== undefined && engine.family !== 'postgres') {
      throw new UsageError(
        'dbConcurrency works on PostgreSQL only (its advisory locks), not on MySQL or MariaDB',
        'leave --db-concurrency out, and cap the cascades with fewer workers or --concurrency',
      )
    }
    await assertJobTables(engine.db)
    if (broker) {
      const transport = await connectBroker(broker, options.brokerUrl, options.transportOptions)
      feed = await brokerFeed(transport, settings.concurrency).catch(async (error: unknown) => {
        await transport.close().catch(() => undefined)
        throw error
      })
      if (options.relay !== false) relay = startRelay({ db: engine.db, family: engine.family, transport, onError: options.onError })
    }
  } catch (error) {
    await owned?.close()
    throw error
  }
  const id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const relations = new Map(guard.relations.map((relation) => [relation.name, relation]))
  const crossDatabase = crossDatabaseJobs(guard)
  const summary: WorkerSummary = { done: 0, retried: 0, dead: 0, rows: 0 }
  const abort = new AbortController()
  let stopping = false
  let purgedAt = 0

  /** An idle worker's housekeeping: done jobs past their retention go, at most once a minute per worker. */
  const purge = async (): Promise<void> => {
    if (Date.now() - purgedAt < PURGE_INTERVAL_MS) return
    purgedAt = Date.now()
    await purgeDoneJobs(engine.db, engine.family, settings.keepDoneMs).catch((error: unknown) => options.onError?.(error))
  }

  /** Runs a claimed job batch by batch until it is done, fails, or the worker stops. */
  const runJob = async (job: Job & { unreadable?: string }): Promise<void> => {
    const started = performance.now()
    let rows = 0
    const emit = (state: JobEvent['state'], attempts: number, error?: string) => {
      options.onJob?.({
        id: job.id,
        relation: job.relation,
        action: job.action,
        state,
        rows,
        ms: Math.round(performance.now() - started),
        attempts,
        ...(error === undefined ? {} : { error }),
      })
    }
    try {
      if (job.unreadable !== undefined) throw new PermanentJobError(`job ${job.id} has unreadable parent_keys: ${job.unreadable}`)
      const relation = relations.get(job.relation)
      if (!relation) throw new PermanentJobError(`relation "${job.relation}" is not in the configuration`)
      const action = job.action === 'delete' ? relation.onDelete : relation.onUpdate
      if (!isQueueable(action)) {
        throw new PermanentJobError(
          `relation "${relation.name}" now has ON ${job.action.toUpperCase()} ${action.toUpperCase()}, which a worker cannot apply to the children of these parents`,
        )
      }
      const run: JobRun = {
        workerId: id,
        batchSize: settings.batchSize,
        dbConcurrency: settings.dbConcurrency,
        stopping: () => stopping,
        onBatch: (batchRows) => {
          rows += batchRows
          summary.rows += batchRows
        },
      }
      // Children in another database: each batch is a transaction there (cross-database-jobs.ts).
      const outcome = crossDatabase.handles(relation)
        ? await crossDatabase.run(job, relation, run)
        : await runLocalJob(engine, job, relation, run)
      if (outcome === 'done') {
        summary.done++
        emit('done', job.attempts)
      } else if (outcome === 'stopped') {
        // Should the hand-back fail, the job comes back anyway once its lease runs out.
        await releaseJob(engine.db, job, id).catch((error: unknown) => options.onError?.(error))
        emit('pending', job.attempts)
      }
      // 'lost': the lease ran out and another worker took the job over; it is theirs now.
    } catch (error) {
      try {
        const state = await failJob(engine.db, engine.family, job, id, error, settings)
        if (state === 'dead') summary.dead++
        else summary.retried++
        emit(state, job.attempts + 1, errorText(error))
      } catch (recording) {
        // The job stays running under this worker's lease; once the lease runs out another attempt begins.
        options.onError?.(recording)
      }
    }
  }

  /** One of `concurrency` loops: claim, run, and wait for work when there is none. */
  const slot = async (): Promise<void> => {
    let named: string | undefined
    while (!stopping) {
      let job: Awaited<ReturnType<typeof claimJob>>
      try {
        job = await claimJob(engine.db, engine.family, id, settings.leaseMs, named)
      } catch (error) {
        if (options.once) throw error
        options.onError?.(error)
        await sleep(settings.pollMs, undefined, { signal: abort.signal }).catch(() => {})
        continue
      }
      const hinted = named
      named = undefined
      if (job) {
        await runJob(job)
        // Its batches may have written jobs for the next level: publish them now rather than at the next round.
        relay?.nudge()
      }
      if (hinted !== undefined) await feed.settle?.(hinted)
      if (job || hinted !== undefined) continue
      await purge()
      if (options.once && !(await hasOpenJobs(engine.db))) return
      if (stopping) return
      named = (await feed.wait(settings.pollMs, abort.signal))?.jobId
    }
  }

  const stopped = (async () => {
    const results = await Promise.allSettled(Array.from({ length: settings.concurrency }, () => slot().catch(stopOthers)))
    // The relay shares the feed's transport: closing it ends a publish that waits for the broker.
    const relayStopped = relay?.stop()
    await feed.close()
    await relayStopped
    await crossDatabase.close()
    await owned?.close()
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failure) throw failure.reason
    return { ...summary }
  })()
  function stopOthers(error: unknown): never {
    stopping = true
    abort.abort()
    throw error
  }
  // Callers that only call stop() must not see an unhandled rejection; `stopped` still rejects for those who await it.
  stopped.catch(() => {})
  return {
    id,
    stopped,
    stop: () => {
      stopping = true
      abort.abort()
      return stopped
    },
  }
}
