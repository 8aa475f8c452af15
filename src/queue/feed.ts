import { setTimeout as sleep } from 'node:timers/promises'
import { UsageError } from '../errors.js'

/**
 * How a worker hears that there may be work. The job row in refguard_jobs stays the truth: a worker always
 * claims through the table (FOR UPDATE SKIP LOCKED, a lease), and a feed only wakes it, or names the job
 * to try. The database feed polls; a feed over a broker transport (transports/: an outbox relay publishes
 * job ids) wakes workers on many machines at once, and `settle` acknowledges the broker's message.
 */
export interface JobFeed {
  /** The name `--transport` takes. */
  readonly name: string
  /**
   * Called when no job could be claimed: resolves when there may be one, at the latest after `idleMs`, or when
   * `signal` aborts. With a `jobId`, the worker tries to claim that job first.
   */
  wait(idleMs: number, signal: AbortSignal): Promise<{ jobId?: string } | undefined>
  /** The worker is through with a job the feed named (done, retried, dead or not claimable): acknowledge it. */
  settle?(jobId: string): Promise<void>
  close(): Promise<void>
}

/** The default feed: the worker polls refguard_jobs every `idleMs` while there is nothing to claim. */
export function databaseFeed(): JobFeed {
  return {
    name: 'database',
    async wait(idleMs, signal) {
      await sleep(idleMs, undefined, { signal }).catch(() => {})
      return undefined
    },
    async close() {},
  }
}

/** How a worker hears of work: by polling the table, or through a broker that an outbox relay publishes to. */
export const TRANSPORTS = ['database', 'rabbitmq', 'nats'] as const
export type TransportName = (typeof TRANSPORTS)[number]

/** `name` as a transport (what `--transport` takes); a UsageError naming the known ones otherwise. */
export function transportByName(name: string): TransportName {
  if ((TRANSPORTS as readonly string[]).includes(name)) return name as TransportName
  throw new UsageError(`unknown transport "${name}"`, `use one of: ${TRANSPORTS.join(', ')}`)
}
