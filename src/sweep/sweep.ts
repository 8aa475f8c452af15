import type { SoftDeleteColumn } from '../enforce/context.js'
import type { Guard } from '../enforce/guard.js'
import type { KeyTuple } from '../enforce/keys.js'
import { engineOf, type GuardEngine } from '../enforce/own-transaction.js'
import { KeyWindow } from '../enforce/key-window.js'
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

/** A soft-deleted table, how its rows are marked, and the scheduled relations it is the parent of. */
interface SoftDeletedTable {
  table: TableRef
  soft: SoftDeleteColumn
  relations: Relation[]
}

/** Acts on the children of every soft-deleted parent key of one relation, in batches; returns the rows changed. */
async function sweepRelation(state: SweepState, relation: Relation, soft: SoftDeleteColumn): Promise<number> {
  const entry = state.relations.get(relation.name) as SweptRelation
  const limit = state.options.batchSize ?? DEFAULT_BATCH
  let changed = 0
  let from: KeyTuple | undefined
  for (;;) {
    const keys = await state.engine.transaction((context) =>
      deletedParentKeys(context, relation, soft, from, state.options.parentBatchSize ?? DEFAULT_BATCH),
    )
    if (keys.length === 0) return changed
    const changes = keys.map((key) => ({ before: key, after: key }))
    const window = new KeyWindow(changes.length)
    for (let finished = false; !finished;) {
      if (state.options.signal?.aborted) return changed
      const batch = await state.engine.transaction((context) => runQueuedBatch(context, relation, 'delete', changes, limit, window))
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
async function deleteParents(state: SweepState, { table, soft, relations }: SoftDeletedTable): Promise<number> {
  let deleted = 0
  for (;;) {
    if (state.options.signal?.aborted) return deleted
    const count = await state.engine.transaction((context) =>
      deleteSweptParents(context, table, soft, relations, state.options.parentBatchSize ?? DEFAULT_BATCH),
    )
    deleted += count
    if (count === 0) return deleted
  }
}

/** The soft-deleted tables of a guard, each with its soft-delete column and the scheduled relations it is the parent of. */
async function softDeletedTables(guard: Guard, engine: GuardEngine): Promise<SoftDeletedTable[]> {
  const byTable: Array<{ table: TableRef; relations: Relation[] }> = []
  for (const relation of guard.relations) {
    if (relation.mode !== 'scheduled') continue
    const entry = byTable.find((candidate) => sameTable(candidate.table, relation.parent))
    if (entry) entry.relations.push(relation)
    else byTable.push({ table: relation.parent, relations: [relation] })
  }
  return engine.transaction(async (context) =>
    byTable.flatMap(({ table, relations }) => {
      const soft = context.softDelete(table)
      return soft ? [{ table, soft, relations }] : []
    }),
  )
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
  const tables = await softDeletedTables(guard, engine)
  const state: SweepState = { engine, options, relations: new Map() }
  for (const { relations } of tables) {
    for (const relation of relations)
      state.relations.set(relation.name, { relation: relation.name, action: relation.onDelete, rows: 0, batches: 0 })
  }
  const deleted = new Map<string, number>()
  let rounds = 0
  for (let busy = true; busy && rounds < MAX_ROUNDS && !options.signal?.aborted;) {
    rounds++
    busy = false
    for (const entry of tables) {
      for (const relation of entry.relations) {
        const swept = state.relations.get(relation.name) as SweptRelation
        // RESTRICT and NO ACTION were checked when the parent was marked; a child written since past refguard keeps it.
        if (swept.error || relation.onDelete === 'restrict' || relation.onDelete === 'no action') continue
        try {
          if ((await sweepRelation(state, relation, entry.soft)) > 0) busy = true
        } catch (error) {
          swept.error = error instanceof Error ? error.message : String(error)
        }
      }
      if (entry.soft.keepParent) continue
      const count = await deleteParents(state, entry)
      const name = qualifiedName(entry.table)
      deleted.set(name, (deleted.get(name) ?? 0) + count)
      if (count > 0) busy = true
    }
  }
  const swept: SweptTable[] = []
  for (const { table, soft } of tables) {
    const remaining = await engine.transaction((context) => countSoftDeleted(context, table, soft))
    swept.push({ table: qualifiedName(table), deleted: deleted.get(qualifiedName(table)) ?? 0, remaining, keepParent: soft.keepParent })
  }
  const relations = [...state.relations.values()]
  const ok = relations.every((relation) => !relation.error)
  return { ok, rounds, relations, tables: swept, stopped: Boolean(options.signal?.aborted), ms: Math.round(performance.now() - started) }
}
