import { type Kysely, type RawBuilder, sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import { findColumn, hasLeadingIndex, type TableInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import { type Chunk, chunkKeyOf, chunksOf } from './chunks.js'
import { keyTypeOf } from './column-types.js'
import type { Deadline } from './deadline.js'
import type { AuditEngine } from './engine.js'
import { type CountRow, orphanCountSql, orphanSampleSql } from './orphan-query.js'
import type { ScanInfo } from './report.js'
import { estimateRows, indexOnlyReadsAreCheap } from './row-estimate.js'

/** A chunk never holds fewer rows than this many times the parent's: each chunk re-reads the parent's keys into a hash. */
const PARENT_ROWS_PER_CHUNK = 4
/** The smallest automatic chunk: below it, per-statement overhead dominates. */
const MIN_CHUNK_ROWS = 1_000_000
/** Rows per chunk when walking a child's primary key, given its parent's rows. */
export function primaryKeyChunkRows(parentRows: number): number {
  return Math.max(MIN_CHUNK_ROWS, PARENT_ROWS_PER_CHUNK * parentRows)
}

/** Sample values longer than this are cut, so a huge text key cannot swamp a report. */
const SAMPLE_VALUE_CHARS = 200

/** Where a scan is, for a progress bar. */
export interface ScanProgress {
  relation: string
  rows: number
  /** 0..1 when known. */
  fraction?: number
}

/** How to scan: chunking, time limits, what to gather besides counts. */
export interface ScanOptions {
  /** Rows per chunk; undefined picks 1,000,000 (primary-key chunks: at least 4 × parent rows). */
  chunkRows?: number
  /** A time limit for each chunk's statement, in ms. */
  chunkTimeoutMs?: number
  deadline: Deadline
  parentUnique: boolean
  sentinels: Array<string | number>
  sample: number
  /** Count in one pass and read samples separately, only where there are orphans (see `CheckOptions.expectClean`). */
  expectClean?: boolean
  onProgress?: (progress: ScanProgress) => void
}

/** What one relation's scan counted. */
export interface ScanResult {
  rowsChecked: number
  orphans: number
  /** Orphans holding each of `options.sentinels`, in the same order. */
  sentinelCounts: number[]
  samples: Record<string, unknown>[]
  complete: boolean
  scan: ScanInfo
}

/** Thrown inside a scan when the time is up before or during a statement. */
class OutOfTime extends Error {}

function shorten(value: unknown): unknown {
  return typeof value === 'string' && value.length > SAMPLE_VALUE_CHARS
    ? `${value.slice(0, SAMPLE_VALUE_CHARS)}… (${value.length} chars)`
    : value
}

/** Turns the in-pass sample aggregate (JSON from PostgreSQL, JSON lines from MariaDB) into key objects. */
function parseSamples(raw: unknown, columns: string[]): Record<string, unknown>[] {
  if (raw === null || raw === undefined) return []
  const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : undefined
  const keys: unknown[][] =
    text === undefined ? (raw as unknown[][]) : text.startsWith('[[') ? JSON.parse(text) : text.split('\n').map((line) => JSON.parse(line))
  return keys.map((key) => Object.fromEntries(columns.map((column, i) => [column, shorten(key[i])])))
}

function compareKeys(a: Record<string, unknown>, b: Record<string, unknown>, columns: string[]): number {
  for (const column of columns) {
    const [x, y] = [a[column], b[column]]
    if (x === y) continue
    if (x === null || x === undefined) return -1
    if (y === null || y === undefined) return 1
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1
  }
  return 0
}

/** Keeps the `limit` smallest distinct keys of two sample lists. */
function mergeSamples(
  into: Record<string, unknown>[],
  more: Record<string, unknown>[],
  columns: string[],
  limit: number,
): Record<string, unknown>[] {
  const seen = new Set(into.map((key) => JSON.stringify(columns.map((c) => key[c]))))
  const merged = [...into, ...more.filter((key) => !seen.has(JSON.stringify(columns.map((c) => key[c]))))]
  return merged.sort((a, b) => compareKeys(a, b, columns)).slice(0, limit)
}

/** Runs one statement under the time limit; throws OutOfTime when the deadline passed or the server cancelled it. */
async function timed<T>(db: Kysely<any>, engine: AuditEngine, limitMs: number | undefined, query: RawBuilder<T>): Promise<T[]> {
  if (limitMs !== undefined && limitMs <= 0) throw new OutOfTime()
  const limit = limitMs === undefined ? undefined : engine.limitStatements(limitMs)
  try {
    if (!limit) return (await query.execute(db)).rows
    return await db.connection().execute(async (connection) => {
      await limit.execute(connection)
      try {
        return (await query.execute(connection)).rows
      } finally {
        await (engine.unlimitStatements() as RawBuilder<unknown>).execute(connection)
      }
    })
  } catch (error) {
    if (engine.isTimeout(error)) throw new OutOfTime()
    throw error
  }
}

/**
 * The integer reference column a scan can walk in key ranges (single-column key, integer on both sides, an
 * index leading with it), or undefined.
 */
export function walkableReference(relation: Relation, child: TableInfo, parent: TableInfo): { child: string; parent: string } | undefined {
  const [childName] = relation.child.columns
  const [parentName] = relation.parent.columns
  if (relation.child.columns.length !== 1 || child.kind === 'view' || !childName || !parentName) return undefined
  const childColumn = findColumn(child, childName)
  const parentColumn = findColumn(parent, parentName)
  if (!childColumn || !parentColumn || keyTypeOf(childColumn).kind !== 'integer' || keyTypeOf(parentColumn).kind !== 'integer')
    return undefined
  return hasLeadingIndex(child, [childName]) ? { child: childName, parent: parentName } : undefined
}

/**
 * Counts one relation's rows and orphans: in one statement, or in chunks: ranges of an indexed integer reference column, else keyset ranges over the child's primary key
 * when the child is larger than a chunk. Every statement runs on its own (no transaction is held open), so
 * writers are never blocked, and a read-only user or a replica will do.
 */
export async function scanRelation(
  db: Kysely<any>,
  engine: AuditEngine,
  family: 'postgres' | 'mysql',
  relation: Relation,
  tables: { child: TableInfo; parent: TableInfo },
  options: ScanOptions,
): Promise<ScanResult> {
  const columns = relation.child.columns
  const result: ScanResult = {
    rowsChecked: 0,
    orphans: 0,
    sentinelCounts: options.sentinels.map(() => 0),
    samples: [],
    complete: true,
    scan: { mode: 'whole', chunks: 0 },
  }
  const inPassSamples = options.expectClean && options.parentUnique ? 'none' : engine.samples
  const count = async (chunk: Pick<Chunk, 'range' | 'parentRange'> | undefined, limitMs: number | undefined) => {
    const range = chunk?.range
    // Reference ranges come smallest key first: once the samples are full, no later one holds a smaller orphan.
    // Other chunks may, so they gather samples whenever they have orphans.
    const sampled = chunk?.parentRange !== undefined && result.samples.length >= options.sample
    const samples = sampled ? 'none' : inPassSamples
    const query = orphanCountSql(relation, { ...options, ...chunk, samples, family })
    const row = (await timed(db, engine, limitMs, query))[0] as CountRow
    const orphans = Number(row.orphans)
    result.rowsChecked += Number(row.rows_checked)
    result.orphans += orphans
    options.sentinels.forEach((_, i) => {
      result.sentinelCounts[i] = (result.sentinelCounts[i] as number) + Number(row[`sentinel_${i}`] ?? 0)
    })
    let found = parseSamples(row.samples, columns)
    if (!sampled && inPassSamples === 'none' && orphans > 0 && options.sample > 0) {
      found = await timed(db, engine, limitMs, orphanSampleSql(relation, options.sample, range))
    }
    result.samples = mergeSamples(result.samples, found, columns, options.sample)
  }

  const candidate = walkableReference(relation, tables.child, tables.parent)
  // Reference ranges are read index-only: on a table whose visibility map is stale that is a heap read per row.
  const reference = candidate && (await indexOnlyReadsAreCheap(db, family, tables.child)) ? candidate : undefined
  const key = chunkKeyOf(tables.child)
  const walkable = reference !== undefined || 'columns' in key
  const childRows = walkable ? await estimateRows(db, family, tables.child) : undefined
  // Primary-key chunks each hash the whole parent: they must be large next to it. Reference ranges need not.
  const parentRows = reference ? 0 : ((await estimateRows(db, family, tables.parent)) ?? 0)
  const chunkRows = options.chunkRows ?? primaryKeyChunkRows(parentRows)
  // An estimate of 0 usually means "never measured" (InnoDB, PostgreSQL before ANALYZE): chunking finds out.
  const chunked = walkable && (!childRows || childRows > chunkRows)
  try {
    if (!chunked) {
      if (!walkable && 'reason' in key) result.scan.note = key.reason
      result.scan.chunks = 1
      await count(undefined, options.deadline.statementLimit())
      return result
    }
    result.scan.mode = 'chunked'
    result.scan.walked = reference ? [reference.child] : 'columns' in key ? key.columns : []
    const columns = 'columns' in key ? key.columns : []
    for await (const chunk of chunksOf({
      db,
      table: tables.child,
      columns,
      rows: childRows,
      chunkRows,
      family,
      ...(reference ? { reference } : {}),
    })) {
      if (options.deadline.expired()) {
        result.scan.note = `stopped by --max-time before ${chunk.start}`
        throw new OutOfTime()
      }
      try {
        await count(chunk, options.deadline.statementLimit(options.chunkTimeoutMs))
      } catch (error) {
        if (error instanceof OutOfTime && !result.scan.note) {
          result.scan.note = options.deadline.expired()
            ? `stopped by --max-time in the chunk from ${chunk.start}`
            : `the chunk from ${chunk.start} ran past --chunk-timeout (${options.chunkTimeoutMs} ms)`
        }
        throw error
      }
      result.scan.chunks++
      options.onProgress?.({
        relation: relation.name,
        rows: result.rowsChecked,
        ...(chunk.progress !== undefined ? { fraction: chunk.progress } : {}),
      })
    }
    return result
  } catch (error) {
    if (!(error instanceof OutOfTime)) throw error
    result.complete = false
    result.scan.note ??= 'stopped by --max-time'
    return result
  }
}

/** Whether a key value exists in the parent (one index lookup): tells a sentinel default from a real key. */
export async function parentHasKey(db: Kysely<any>, relation: Relation, value: string | number): Promise<boolean> {
  const column = relation.parent.columns[0] as string
  const { rows } = await sql<{
    found: unknown
  }>`select 1 as found from ${tableSql(relation.parent)} where ${sql.id(column)} = ${value} limit 1`.execute(db)
  return rows.length > 0
}
