import { sql } from 'kysely'
import type { Runner } from '../enforce/runner.js'

/** The first key of the advisory locks that are the slots ('refg'); the second is the slot's number. */
const SLOT_LOCKS = 0x72656667

/**
 * Runs `work`, a batch's transaction, holding one of `slots` slots of the database: at most that many batches run at
 * once across every worker started with the same `dbConcurrency`, whichever process or machine it is on. A slot is a
 * PostgreSQL advisory lock of the transaction (it goes with the commit or rollback, so a pooler in transaction mode
 * is no trouble): a free one is taken at once; when all are taken, the batch waits for one of them, chosen at random.
 */
export async function inSlot<T>(runner: Runner, slots: number | undefined, work: () => Promise<T>): Promise<T> {
  if (slots === undefined) return work()
  // CASE, not AND: SQL promises no order for AND, and the wait must come only when no slot was free.
  await runner.run(sql.raw(`select case when ${slotTaken(slots)} then 'free' else cast(${slotAwaited(slots)} as text) end as slot`))
  return work()
}

/** The PL/pgSQL statement with which each batch of a run (see leaf-run.ts) takes a slot, as `inSlot` does. */
export function slotStatement(slots: number): string {
  return `if not ${slotTaken(slots)} then perform ${slotAwaited(slots)}; end if;`
}

/** Whether a free slot was taken (the first free one). */
function slotTaken(slots: number): string {
  return `exists (select 1 from generate_series(1, ${slots}) as s where pg_try_advisory_xact_lock(${SLOT_LOCKS}, s))`
}

/** Waits for one slot, chosen at random, and takes it. */
function slotAwaited(slots: number): string {
  return `pg_advisory_xact_lock(${SLOT_LOCKS}, 1 + floor(random() * ${slots})::int)`
}
