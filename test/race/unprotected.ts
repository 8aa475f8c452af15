import type { Transaction } from 'kysely'

/**
 * Deletes a parent the way a lock-based guard without a crosscheck would: lock the parent, look for children
 * in the transaction's own snapshot, delete if none. Under repeatable read that snapshot can miss a child.
 */
export async function deleteParentIfChildless(trx: Transaction<any>, id: number): Promise<void> {
  await trx.selectFrom('parents').select('id').where('id', '=', id).forUpdate().execute()
  const children = await trx.selectFrom('children').select('id').where('parent_id', '=', id).execute()
  if (children.length > 0) throw Object.assign(new Error(`parent ${id} still has children`), { code: '23503' })
  await trx.deleteFrom('parents').where('id', '=', id).execute()
}

/** Inserts a child after an unlocked parent lookup, which under repeatable read can see a parent deleted since. */
export async function insertChildIfParentSeen(trx: Transaction<any>, parentId: number): Promise<void> {
  const parent = await trx.selectFrom('parents').select('id').where('id', '=', parentId).execute()
  if (parent.length === 0) throw Object.assign(new Error(`parent ${parentId} not found`), { code: '23503' })
  await trx.insertInto('children').values({ parent_id: parentId }).execute()
}

/** Inserts a child after locking its parent row exclusively, so that a concurrent delete of the parent must wait. */
export async function insertChildLockingParent(trx: Transaction<any>, parentId: number): Promise<void> {
  await trx.selectFrom('parents').select('id').where('id', '=', parentId).forUpdate().execute()
  await trx.insertInto('children').values({ parent_id: parentId }).execute()
}
