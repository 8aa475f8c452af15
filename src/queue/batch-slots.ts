import { sql } from 'kysely'
import type { Runner } from '../enforce/runner.js'

/** The first key of the advisory locks that are the slots ('refg'); the second is the slot's number. */
const SLOT_LOCKS = 0x72656667

/**
 * Runs `work` (a batch, or a run of leaf batches) holding one of `slots` slots of the database: at most that many run
 * at once across every worker started with the same `dbConcurrency`, whichever process or machine it is on. A slot is a
 * PostgreSQL advisory lock: a free one is taken at once; when all are taken, the batch waits for one of them, chosen
 * at random. In a transaction the lock is the transaction's (it goes with the commit or rollback); outside one it is
 * the session's and is given back when `work` ends, or when the connection does.
 */
export async function inSlot<T>(runner: Runner, slots: number | undefined, inTransaction: boolean, work: () => Promise<T>): Promise<T> {
  if (slots === undefined) return work()
  const scope = sql.raw(inTransaction ? '_xact' : '')
  const { rows } = await runner.run<{ slot: unknown }>(
    sql`select s as ${sql.id('slot')} from generate_series(1, ${sql.lit(slots)}) as s
      where pg_try_advisory${scope}_lock(${sql.lit(SLOT_LOCKS)}, s) limit 1`,
  )
  let slot = Number(rows[0]?.slot ?? 0)
  if (slot === 0) {
    slot = 1 + Math.floor(Math.random() * slots)
    await runner.run(sql`select pg_advisory${scope}_lock(${sql.lit(SLOT_LOCKS)}, ${sql.lit(slot)})`)
  }
  if (inTransaction) return work()
  const giveBack = () => runner.run(sql`select pg_advisory_unlock(${sql.lit(SLOT_LOCKS)}, ${sql.lit(slot)})`)
  let result: T
  try {
    result = await work()
  } catch (error) {
    // A connection that failed took its session's lock with it; the batch's own error is the one to report.
    await giveBack().catch(() => undefined)
    throw error
  }
  await giveBack()
  return result
}
