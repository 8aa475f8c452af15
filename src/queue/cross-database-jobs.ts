import { type Kysely, PGliteAdapter } from 'kysely'
import { isCrossDatabase } from '../crossdb/key-plan.js'
import { type CrossDatabaseBatch, runCrossDatabaseBatch } from '../crossdb/queued-batch.js'
import { type Guard, guardOnDatabase } from '../enforce/guard.js'
import { engineOf, type GuardEngine } from '../enforce/own-transaction.js'
import type { Runner } from '../enforce/runner.js'
import type { Relation } from '../model/relation.js'
import { holdLease, recordBatch } from './claim.js'
import type { Job } from './job.js'
import type { JobOutcome, JobRun } from './job-run.js'
import { PermanentJobError, retryTransient } from './retry.js'

/** Runs the jobs, in a parent database's outbox, of relations whose child table is in another database. */
export interface CrossDatabaseJobs {
  /** Whether the relation's children are in another database than the worker's: its jobs run here. */
  handles(relation: Relation): boolean
  /** Runs a claimed job batch by batch until it is done, the worker stops, or the job is no longer this worker's. */
  run(job: Job, relation: Relation, run: JobRun): Promise<JobOutcome>
  /** Closes the guards opened on the child databases. */
  close(): Promise<void>
}

/**
 * A READ COMMITTED transaction on one connection of the parent database, for the job row's lease and progress,
 * committed durably: `work` gets a runner for refguard's statements and the connection itself for the parent reads.
 */
function onParent<T>(engine: GuardEngine, work: (runner: Runner, connection: Kysely<any>) => Promise<T>): Promise<T> {
  return engine.transaction((context, connection) => work(context.runner, connection), { durable: true })
}

/**
 * The cross-database jobs of a worker serving `guard` (a guard on the parent database). Each batch is a transaction
 * in the child database, through a guard on that database (opened once, over the same connections), nested in a
 * transaction of the parent database that renews the job's lease first, keeps the job row locked (no other worker
 * can claim it meanwhile) and records the batch's progress after the child transaction committed. A crash between
 * the two commits runs the batch again, which finds only what is left. PGlite runs one connection: there, the lease
 * and the progress are two short transactions of their own around the batch, so that the batch can read the parent.
 */
export function crossDatabaseJobs(guard: Guard): CrossDatabaseJobs {
  const parent = engineOf(guard)
  const held = !(parent.db.getExecutor().adapter instanceof PGliteAdapter)
  const children = new Map<string, Promise<Guard>>()

  const childGuard = (database: string): Promise<Guard> => {
    let opened = children.get(database)
    if (!opened) {
      opened = guardOnDatabase(guard, database)
      children.set(database, opened)
      // A database that cannot be reached now fails this attempt; the next one tries again.
      opened.catch(() => children.delete(database))
    }
    return opened
  }

  /** One batch in the child database, under the lease; undefined when the job is no longer this worker's. */
  const batch = async (job: Job, relation: Relation, run: JobRun, after: unknown[] | undefined) => {
    const child = engineOf(await childGuard(relation.child.database))
    const inChild = (connection: Kysely<any>) =>
      child.transaction(async (context) => {
        const join = context.remoteParents?.joinOf(relation.name)
        if (!join) throw new PermanentJobError(`relation "${relation.name}" is not checked from database "${relation.child.database}"`)
        return runCrossDatabaseBatch(context, join, job.action, job.changes, connection, {
          limit: run.batchSize,
          ...(after ? { after } : {}),
        })
      })
    if (held) {
      return onParent(parent, async (runner, connection): Promise<CrossDatabaseBatch | undefined> => {
        if (!(await holdLease(runner, job, run.workerId))) return undefined
        const result = await inChild(connection)
        await recordBatch(runner, job, result.rows, result.finished)
        return result
      })
    }
    if (!(await onParent(parent, (runner) => holdLease(runner, job, run.workerId)))) return undefined
    const result = await inChild(parent.db)
    const recorded = await onParent(parent, async (runner) => {
      if (!(await holdLease(runner, job, run.workerId))) return false
      await recordBatch(runner, job, result.rows, result.finished)
      return true
    })
    return recorded ? result : undefined
  }

  return {
    handles: isCrossDatabase,
    async run(job, relation, run) {
      let after: unknown[] | undefined
      for (;;) {
        const result = await retryTransient(() => batch(job, relation, run, after))
        if (!result) return 'lost'
        run.onBatch(result.rows)
        if (result.finished) return 'done'
        after = result.last
        if (run.stopping()) return 'stopped'
      }
    },
    async close() {
      const opened = await Promise.allSettled(children.values())
      children.clear()
      await Promise.all(opened.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)))
    },
  }
}
