import { setTimeout as sleep } from 'node:timers/promises'
import type { Kysely, Transaction } from 'kysely'
import type { RaceOperations } from './operations.js'

/** What the naive insert throws when its check finds a parent missing; `code` matches a real FK violation. */
export class NaiveViolation extends Error {
  readonly code = '23503'
}

/**
 * Check-then-write without locks, as code without FKs often does it, at read committed: the baseline
 * the race must catch. The pause between check and write widens the window a concurrent delete can hit.
 */
export async function naiveOperations(db: Kysely<any>): Promise<RaceOperations> {
  const transaction = <T>(work: (trx: Transaction<any>) => Promise<T>) => db.transaction().setIsolationLevel('read committed').execute(work)
  return {
    insertChildren: (parentIds) =>
      transaction(async (trx) => {
        const found = await trx.selectFrom('parents').select('id').where('id', 'in', parentIds).execute()
        const missing = parentIds.filter((id) => !found.some((row) => row.id === id))
        if (missing.length > 0) throw new NaiveViolation(`parents ${missing.join(', ')} not found`)
        await sleep(1)
        await trx
          .insertInto('children')
          .values(parentIds.map((parent_id) => ({ parent_id })))
          .execute()
      }),
    deleteParent: (id) =>
      transaction(async (trx) => {
        await trx.deleteFrom('parents').where('id', '=', id).execute()
        await trx.deleteFrom('children').where('parent_id', '=', id).execute()
      }),
    insertParent: (id) => transaction((trx) => trx.insertInto('parents').values({ id, v: 0 }).execute()).then(() => {}),
    updateParentKey: (from, to) =>
      transaction(async (trx) => {
        await trx.updateTable('parents').set({ id: to }).where('id', '=', from).execute()
        await trx.updateTable('children').set({ parent_id: to }).where('parent_id', '=', from).execute()
      }),
    close: () => db.destroy(),
  }
}
