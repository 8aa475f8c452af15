import { sql } from 'kysely'
import type { TestDatabase } from '../support/databases.js'
import type { Outcome } from './execute.js'

/** How long one statement may take on the subject; the slowest generated statements take well under a second. */
export const STATEMENT_TIME_LIMIT_MS = 10_000

/** How long a statement whose connections were killed may take to give up. */
const STOP_TIME_LIMIT_MS = 10_000

const NO_ANSWER = `no answer within ${STATEMENT_TIME_LIMIT_MS / 1000} s`

/** The outcome of a statement that did not finish: it disagrees with every outcome of the oracle. */
export const TIMED_OUT: Outcome = { ok: false, sqlState: 'timeout', message: `${NO_ANSWER} (stopped from the server side)` }

function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
  })
  return Promise.race([promise.then((value) => ({ value })), timeout]).finally(() => clearTimeout(timer))
}

/**
 * Stops a runaway statement from the oracle's connection (same server): on MariaDB by killing every connection
 * to the subject's database (the pool drops them and opens new ones), on PostgreSQL by cancelling the running
 * queries of that database, over and over, since the runaway may be between two queries (terminating would
 * make node-postgres' idle clients throw). Either way the runaway's next query fails and its transaction rolls back.
 */
async function stopRunaway(oracle: TestDatabase, subject: TestDatabase, statement: Promise<Outcome>): Promise<boolean> {
  const name = new URL(subject.url).pathname.slice(1)
  const deadline = Date.now() + STOP_TIME_LIMIT_MS
  if (subject.dialect === 'mariadb') {
    const { rows } = await sql<{ id: number }>`select id from information_schema.processlist where db = ${name}`.execute(oracle.db)
    for (const { id } of rows) await sql`kill connection ${sql.lit(Number(id))}`.execute(oracle.db)
    return (await settledWithin(statement, STOP_TIME_LIMIT_MS)) !== undefined
  }
  while (Date.now() < deadline) {
    await sql`select pg_cancel_backend(pid) from pg_stat_activity where datname = ${name} and state = 'active'`.execute(oracle.db)
    if (await settledWithin(statement, 200)) return true
  }
  return false
}

/**
 * The statement's outcome, or TIMED_OUT when it takes longer than STATEMENT_TIME_LIMIT_MS: a statement that
 * never ends (a refguard bug) becomes an ordinary disagreement, shrunk and reported like any other, instead
 * of a worker that runs out of memory or a suite that times out. The runaway is stopped, so later statements
 * and scenarios run on a clean subject.
 */
export async function withinTimeLimit(oracle: TestDatabase, subject: TestDatabase, statement: Promise<Outcome>): Promise<Outcome> {
  const settled = await settledWithin(statement, STATEMENT_TIME_LIMIT_MS)
  if (settled) return settled.value
  if (subject.dialect === 'pglite') throw new Error(`${NO_ANSWER} on PGlite, which cannot be stopped`)
  if (!(await stopRunaway(oracle, subject, statement))) throw new Error(`${NO_ANSWER}, and it could not be stopped`)
  return TIMED_OUT
}
