import type { Guard } from '../enforce/guard.js'
import type { KeyTuple } from '../enforce/keys.js'
import { engineOf, type GuardEngine } from '../enforce/own-transaction.js'
import { runQueuedBatch } from '../enforce/queued-batch.js'
import { type Relation, qualifiedName, sameTable, type TableRef } from '../model/relation.js'
import { countSoftDeleted, deletedParentKeys, deleteSweptParents } from './deleted-parents.js'

/** Options of a sweep. */
export interface SweepOptions {
  /** Child rows per batch, each batch its own short transaction (default 1000). */
  batchSize?: number
  /** Soft-deleted parent keys taken at a time (default 1000). */
  parentBatchSize?: number
  /** Called after every batch, for progress. */
  onBatch?: (event: { relation: string; rows: number }) => void
  /** Stops the sweep between batches; what is done stays done, the next sweep goes on. */
  signal?: AbortSignal
}

/** What a sweep did to the children of one scheduled relation. */
export interface SweptRelation {
  relation: string
  action: string
  /** Child rows deleted or changed. */
  rows: number
  batches: number
  /** Why the relation's children could not be acted on (a RESTRICT further down, a missing default parent...). */
  error?: string
}

/** What a sweep did to one soft-deleted table. */
export interface SweptTable {
  table: string
  /** Soft-deleted rows deleted for good. */
  deleted: number
  /** Soft-deleted rows left: all of them with keepParent, else those whose children could not be acted on (or marked since). */
  remaining: number
  keepParent: boolean
}

/** The result of `sweep()` and `refguard sweep --json`. */
export interface SweepReport {
  /** No relation's children failed to be acted on. */
  ok: boolean
  /** Passes over every soft-deleted table; a cascade into another soft-deleted table takes one more. */
  rounds: number
  relations: SweptRelation[]
  tables: SweptTable[]
  /** Whether `signal` stopped the sweep before it finished. */
  stopped: boolean
  ms: number
}

const DEFAULT_BATCH = 1000
const MAX_ROUNDS = 100

interface SweepState {
  engine: GuardEngine
  options: SweepOptions
  relations: Map<string, SweptRelation>
}

/** Acts on the children of every soft-deleted parent key of one relation, in batches; returns the rows changed. */
async function sweepRelation(state: SweepState, relation: Relation, table: TableRef): Promise<number> {
  const entry = state.relations.get(relation.name) as SweptRelation
  const limit = state.options.batchSize ?? DEFAULT_BATCH
  let changed = 0
  let from: KeyTuple | undefined
  for (;;) {
    const keys = await state.engine.transaction(async (context) => {
      const soft = context.softDelete(table)
      return soft ? deletedParentKeys(context, relation, soft, from, state.options.parentBatchSize ?? DEFAULT_BATCH) : []
    })
    if (keys.length === 0) return changed
    const changes = keys.map((key) => ({ before: key, after: key }))
    for (let finished = false; !finished;) {
      if (state.options.signal?.aborted) return changed
      const batch = await state.engine.transaction((context) => runQueuedBatch(context, relation, 'delete', changes, limit))
      finished = batch.finished
      changed += batch.rows
      entry.rows += batch.rows
      entry.batches++
      state.options.onBatch?.({ relation: relation.name, rows: batch.rows })
    }
    from = keys[keys.length - 1]
  }
}

/** Hard-deletes the soft-deleted rows of a table whose children are all gone, in batches; returns how many went. */
async function deleteParents(state: SweepState, table: TableRef, relations: Relation[]): Promise<number> {
  let deleted = 0
  for (;;) {
    if (state.options.signal?.aborted) return deleted
    const count = await state.engine.transaction(async (context) => {
      const soft = context.softDelete(table)
      return soft ? deleteSweptParents(context, table, soft, relations, state.options.parentBatchSize ?? DEFAULT_BATCH) : 0
    })
    deleted += count
    if (count === 0) return deleted
  }
}

/** The soft-deleted tables of a guard, each with the scheduled relations it is the parent of. */
function softDeletedTables(guard: Guard): Array<{ table: TableRef; relations: Relation[] }> {
  const tables: Array<{ table: TableRef; relations: Relation[] }> = []
  for (const relation of guard.relations) {
    if (relation.mode !== 'scheduled') continue
    const entry = tables.find((candidate) => sameTable(candidate.table, relation.parent))
    if (entry) entry.relations.push(relation)
    else tables.push({ table: relation.parent, relations: [relation] })
  }
  return tables
}

/**
 * Scheduled mode's sweeper: for every soft-deleted parent row, applies each scheduled relation's ON DELETE action
 * to its children in batches (through the engine, so grandchildren get their own relations' actions), then deletes
 * the parent row for good unless its table keeps parents (`keepParent`). Every batch is its own transaction and the
 * sweep keeps no state of its own: what it has to do is read from the data each time, so a sweep that is killed
 * or stopped loses nothing, and running it again (or two at once) finishes the work. It repeats until a pass
 * finds nothing to do, since a cascade can soft-delete rows of another soft-deleted table.
 */
export async function sweep(guard: Guard, options: SweepOptions = {}): Promise<SweepReport> {
  const started = performance.now()
  const engine = engineOf(guard)
  const tables = softDeletedTables(guard)
  const state: SweepState = { engine, options, relations: new Map() }
  for (const { relations } of tables) {
    for (const relation of relations)
      state.relations.set(relation.name, { relation: relation.name, action: relation.onDelete, rows: 0, batches: 0 })
  }
  const soft = await engine.transaction(async (context) => tables.map(({ table }) => context.softDelete(table)))
  const keepParent = (table: TableRef) => soft[tables.findIndex((entry) => entry.table === table)]?.keepParent ?? true
  const deleted = new Map<string, number>()
  let rounds = 0
  for (let busy = true; busy && rounds < MAX_ROUNDS && !options.signal?.aborted;) {
    rounds++
    busy = false
    for (const { table, relations } of tables) {
      for (const relation of relations) {
        const entry = state.relations.get(relation.name) as SweptRelation
        // RESTRICT and NO ACTION were checked when the parent was marked; a child written since past refguard keeps it.
        if (entry.error || relation.onDelete === 'restrict' || relation.onDelete === 'no action') continue
        try {
          if ((await sweepRelation(state, relation, table)) > 0) busy = true
        } catch (error) {
          entry.error = error instanceof Error ? error.message : String(error)
        }
      }
      if (keepParent(table)) continue
      const count = await deleteParents(state, table, relations)
      deleted.set(qualifiedName(table), (deleted.get(qualifiedName(table)) ?? 0) + count)
      if (count > 0) busy = true
    }
  }
  const swept: SweptTable[] = []
  for (const { table } of tables) {
    const remaining = await engine.transaction(async (context) => {
      const soft = context.softDelete(table)
      return soft ? countSoftDeleted(context, table, soft) : 0
    })
    swept.push({ table: qualifiedName(table), deleted: deleted.get(qualifiedName(table)) ?? 0, remaining, keepParent: keepParent(table) })
  }
  const relations = [...state.relations.values()]
  const ok = relations.every((relation) => !relation.error)
  return { ok, rounds, relations, tables: swept, stopped: Boolean(options.signal?.aborted), ms: Math.round(performance.now() - started) }
}
