import type { Kysely } from 'kysely'

/** One way of writing parents and children; each method runs in a transaction of its own. */
export interface RaceOperations {
  /** Inserts one child per parent id, in one statement. */
  insertChildren(parentIds: number[]): Promise<void>
  /** Deletes a parent, doing whatever the relation requires about its children. */
  deleteParent(id: number): Promise<void>
  /** Inserts a parent, so that deletes leave the run something to race over. */
  insertParent(id: number): Promise<void>
  /** Changes a parent's key. */
  updateParentKey(from: number, to: number): Promise<void>
  /** Releases the worker's connection. */
  close(): Promise<void>
}

/** Builds one worker's operations over that worker's own connection. */
export type OperationsFactory = (db: Kysely<any>) => Promise<RaceOperations>
