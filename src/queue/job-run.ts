import { KeyWindow } from '../enforce/key-window.js'
import type { GuardEngine } from '../enforce/own-transaction.js'
import { deletesLeafRows, StampLostError } from '../enforce/leaf-batch.js'
import { runQueuedBatch } from '../enforce/queued-batch.js'
import type { Relation } from '../model/relation.js'
import { inSlot, slotStatement } from './batch-slots.js'
import { LeaseLostError, leaseStamp, recordBatch } from './claim.js'
import type { Job } from './job.js'
import { retryTransient } from './retry.js'

/** How a job's run ended: every child acted on, handed back because the worker stops, or lost with its lease. */
export type JobOutcome = 'done' | 'stopped' | 'lost'

/** What the worker tells a job run. */
export interface JobRun {
  workerId: string
  batchSize: number
  /** Whether the worker is stopping: the run ends after the batch under way (a run of leaf batches on the server: at most 100 ms of them). */
  stopping(): boolean
  /** Called with the rows of each committed batch (of each run, for leaf batches sent in runs). */
  onBatch(rows: number): void
  /** At most this many batches at once on the database, across workers (see batch-slots.ts; a leaf batch sent alone, not in a run, is not counted). */
  dbConcurrency?: number
}

/**
 * Runs a claimed job whose children are in the worker's own database, batch by batch: each batch is one transaction
 * that acts on the children and then records its progress, renewing the lease only while the job is still this
 * worker's (otherwise the batch rolls back and the run ends as 'lost': the job is another worker's now). A leaf
 * batch on PostgreSQL is one statement that does all of that (see `deleteLeafRows`), with no transaction around it;
 * on a PostgreSQL server one round trip runs many of them, committing after each (see `runLeafBatches`).
 */
export async function runLocalJob(engine: GuardEngine, job: Job, relation: Relation, run: JobRun): Promise<JobOutcome> {
  const window = new KeyWindow(job.changes.length)
  const leaf = await engine.statements((context) => deletesLeafRows(context, relation, job.action))
  const stamp = leaseStamp(job, run.workerId, run.dbConcurrency === undefined ? undefined : slotStatement(run.dbConcurrency))
  const nextBatch = leaf
    ? () =>
        engine.statements(async (context) => {
          const result = await runQueuedBatch(context, relation, job.action, job.changes, run.batchSize, window, stamp)
          if (result.finished && !(await recordBatch(context.runner, job, 0, true, run.workerId))) throw new LeaseLostError(job.id)
          return result
        })
    : () =>
        engine.transaction((context) =>
          inSlot(context.runner, run.dbConcurrency, async () => {
            const result = await runQueuedBatch({ ...context, job: job.id }, relation, job.action, job.changes, run.batchSize, window)
            if (!(await recordBatch(context.runner, job, result.rows, result.finished, run.workerId))) throw new LeaseLostError(job.id)
            return result
          }),
        )
  for (;;) {
    const batch = await retryTransient(nextBatch).catch((error: unknown) => {
      if (error instanceof LeaseLostError || error instanceof StampLostError) return undefined
      throw error
    })
    if (!batch) return 'lost'
    run.onBatch(batch.rows)
    if (batch.finished) return 'done'
    if (run.stopping()) return 'stopped'
  }
}
