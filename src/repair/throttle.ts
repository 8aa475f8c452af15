import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import type { Deadline } from '../audit/deadline.js'

/** How long to wait before asking a lagging replica again. */
const POLL_MS = 1000

/** A replica's delay in seconds (`Seconds_Behind_Master` / `Seconds_Behind_Source`), or undefined when it is not replicating. */
export type LagReader = () => Promise<number | undefined>

/** Reads the lag of a MySQL or MariaDB replica from `SHOW REPLICA STATUS` (`SHOW SLAVE STATUS` before MariaDB 10.5). */
export function mysqlReplicaLag(replica: Kysely<any>): LagReader {
  return async () => {
    const status = await sql<Record<string, unknown>>`show replica status`
      .execute(replica)
      .catch(() => sql<Record<string, unknown>>`show slave status`.execute(replica))
    const row = status.rows[0]
    const lag = row?.Seconds_Behind_Source ?? row?.Seconds_Behind_Master
    return lag === null || lag === undefined ? undefined : Number(lag)
  }
}

/**
 * Waits, before a batch, until the replica is at most `maxLagSeconds` behind (or the deadline passes). A replica
 * that is not replicating counts as lagging: batches would pile up unseen. Returns the time waited.
 */
export async function waitForReplica(readLag: LagReader, maxLagSeconds: number, deadline: Deadline, pollMs = POLL_MS): Promise<number> {
  const started = performance.now()
  for (;;) {
    const lag = await readLag()
    if (lag !== undefined && lag <= maxLagSeconds) return performance.now() - started
    if (deadline.expired()) return performance.now() - started
    await sleep(pollMs)
  }
}
