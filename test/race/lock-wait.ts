import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import type { ServerDialect } from './connections.js'

/** InnoDB refreshes its information_schema lock tables only after 100 ms without a read, so poll slower than that. */
const POLL_INTERVAL_MS = 150

/** Sessions of the current database now waiting for a row lock. */
async function lockWaiters(observer: Kysely<any>, dialect: ServerDialect): Promise<number> {
  const query =
    dialect === 'postgres'
      ? sql<{ waiting: number | string }>`select count(*) as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`
      : sql<{ waiting: number | string }>`select count(*) as waiting from information_schema.innodb_trx t
          join information_schema.processlist p on p.id = t.trx_mysql_thread_id
          where t.trx_state = 'LOCK WAIT' and p.db = database()`
  const { rows } = await query.execute(observer)
  return Number(rows[0]?.waiting ?? 0)
}

/** Polls until some session of this database waits for a lock; false if none did within `timeoutMs`. */
export async function waitForLockWaiter(observer: Kysely<any>, dialect: ServerDialect, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await lockWaiters(observer, dialect)) > 0) return true
    await sleep(POLL_INTERVAL_MS)
  }
  return false
}
