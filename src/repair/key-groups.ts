import type { Kysely } from 'kysely'
import { chunksOf } from '../audit/chunks.js'
import { orphanKeysSql } from '../audit/orphan-query.js'
import { estimateRows, indexOnlyReadsAreCheap } from '../audit/row-estimate.js'
import { primaryKeyChunkRows, walkableReference } from '../audit/scan.js'
import { hasLeadingIndex, type TableInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import type { RepairStep } from './plan.js'

/** Child rows one read of orphaned keys covers: small enough that the read stays far below 100 ms. */
const RANGE_ROWS = 100_000

/** Keys whose rows one batch (or, for a key holding more rows than a batch, several) takes. */
export interface KeyGroup {
  keys: unknown[]
  /** The orphaned rows holding the keys when they were counted; unknown for a sentinel value. */
  rows?: number
  /** The reference range the keys came from: a resumed run starts reading there. */
  from?: bigint
}

/** How a step finds its rows: by keys of an index on the reference column, or by walking the child's primary key. */
export type StepWalk = 'keys' | 'primary-key'

/**
 * Keys of an index leading with the (single) reference column find a step's rows without reading the rows in
 * between, as long as every changed row stops being a target (deleted, set to NULL): then no cursor is needed
 * and a batch takes the next rows still holding a key. SET DEFAULT may leave a row an orphan (a default
 * without a parent), so it walks the primary key, as does a relation without such an index.
 */
export function stepWalk(step: RepairStep, relation: Relation, child: TableInfo): StepWalk {
  const column = step.kind === 'sentinel' ? (step.column as string) : relation.child.columns[0]
  if (relation.child.columns.length !== 1 || step.strategy === 'set-default' || !column) return 'primary-key'
  return hasLeadingIndex(child, [column]) ? 'keys' : 'primary-key'
}

/** Packs keys (with their row counts) into groups of at most `batchSize` rows; a bigger key is a group alone. */
function packKeys(counts: Array<{ key: unknown; rows: number }>, batchSize: number, from?: bigint): KeyGroup[] {
  const groups: KeyGroup[] = []
  let current: unknown[] = []
  let rows = 0
  for (const { key, rows: keyRows } of counts) {
    if (current.length > 0 && rows + keyRows > batchSize) {
      groups.push({ keys: current, rows, ...(from !== undefined ? { from } : {}) })
      current = []
      rows = 0
    }
    current.push(key)
    rows += keyRows
  }
  if (current.length > 0) groups.push({ keys: current, rows, ...(from !== undefined ? { from } : {}) })
  return groups
}

/** The tables and sizes an orphan step's key walk needs. */
interface KeyWalkContext {
  db: Kysely<any>
  family: 'postgres' | 'mysql'
  relation: Relation
  child: TableInfo
  parent: TableInfo
  step: RepairStep
  batchSize: number
}

/**
 * The key groups of an orphan step, chunk by chunk. Chunks are short ranges of the reference column, read
 * index-only and merged with the same range of the parent key, starting at `from` when resuming; when such
 * reads would not be cheap (no integer reference, or a stale visibility map) they are primary-key ranges large
 * next to the parent, each one hash anti-join, from the start (rows fixed already are simply not found again).
 */
export async function* orphanKeyGroups(walk: KeyWalkContext, from?: bigint): AsyncGenerator<KeyGroup> {
  const { db, family, relation, child, parent, step } = walk
  const candidate = walkableReference(relation, child, parent)
  const reference = candidate && (await indexOnlyReadsAreCheap(db, family, child)) ? candidate : undefined
  const rows = await estimateRows(db, family, child)
  const chunkRows = reference ? RANGE_ROWS : primaryKeyChunkRows((await estimateRows(db, family, parent)) ?? 0)
  const plan = { db, table: child, columns: child.primaryKey, rows, chunkRows, family }
  const chunks = reference ? chunksOf({ ...plan, reference, ...(from !== undefined ? { from } : {}) }) : chunksOf(plan)
  for await (const chunk of chunks) {
    if (reference && chunk.from === undefined) continue // the NULL keys: never orphans of a single-column relation
    const query = orphanKeysSql(relation, {
      range: chunk.range,
      ...(chunk.parentRange ? { parentRange: chunk.parentRange } : {}),
      keep: step.keep,
    })
    const counts = (await query.execute(db)).rows.map((row) => ({ key: row.k, rows: Number(row.n) }))
    yield* packKeys(counts, walk.batchSize, chunk.from)
  }
}

/** The single group of a sentinel step: its one value. */
export function sentinelKeyGroup(step: RepairStep): KeyGroup {
  return { keys: [step.value] }
}
