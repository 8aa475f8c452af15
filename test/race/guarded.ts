import type { IsolationLevel, Kysely, Transaction } from 'kysely'
import { createGuard, type Guard } from '../../src/index.js'
import type { OperationsFactory } from './operations.js'

/** The actions of the race relation children(parent_id) -> parents(id). */
export interface RaceRelation {
  onDelete: 'cascade' | 'restrict'
  onUpdate: 'cascade' | 'restrict'
}

/** Guards a connection with the race relation. */
export function guardRaceTables(db: Kysely<any>, relation: RaceRelation): Promise<Guard> {
  return createGuard({
    db,
    relations: [`children(parent_id) -> parents(id) on delete ${relation.onDelete} on update ${relation.onUpdate}`],
  })
}

/**
 * Writes through refguard, each operation a transaction at `isolation` (inserts optionally autocommitted). Under RESTRICT a deleter first deletes
 * the children, as an application would, so a child inserted in between is the race that must fail.
 */
export function guardedOperations(relation: RaceRelation, isolation: IsolationLevel, autocommitInserts = false): OperationsFactory {
  return async (db) => {
    const guard = await guardRaceTables(db, relation)
    const transaction = <T>(work: (trx: Transaction<any>) => Promise<T>) =>
      guard.db.transaction().setIsolationLevel(isolation).execute(work)
    const insert = async (target: Kysely<any>, parentIds: number[]): Promise<void> => {
      await target
        .insertInto('children')
        .values(parentIds.map((parent_id) => ({ parent_id })))
        .execute()
    }
    return {
      // Outside a transaction refguard may take its one-statement path (PostgreSQL), which must be just as safe.
      insertChildren: (parentIds) => (autocommitInserts ? insert(guard.db, parentIds) : transaction((trx) => insert(trx, parentIds))),
      deleteParent: (id) =>
        transaction(async (trx) => {
          if (relation.onDelete === 'restrict') await trx.deleteFrom('children').where('parent_id', '=', id).execute()
          await trx.deleteFrom('parents').where('id', '=', id).execute()
        }),
      insertParent: (id) =>
        transaction(async (trx) => {
          await trx.insertInto('parents').values({ id, v: 0 }).execute()
        }),
      updateParentKey: (from, to) =>
        transaction(async (trx) => {
          await trx.updateTable('parents').set({ id: to }).where('id', '=', from).execute()
        }),
      close: async () => {
        await guard.close()
        await db.destroy()
      },
    }
  }
}
