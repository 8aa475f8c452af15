import { type Kysely, type RawBuilder, sql } from 'kysely'
import { columnSql, tableSql } from '../db/identifiers.js'
import { findColumn, type TableInfo } from '../db/schema-info.js'
import { keyTypeOf } from './column-types.js'

const CHILD = 'c'

/** One slice of a child table: a condition on alias `c`, and how far through the table it ends. */
export interface Chunk {
  range: RawBuilder<unknown>
  /** For a range of child keys, the same range over the parent key (alias `p`). */
  parentRange?: RawBuilder<unknown>
  /** The share of the table read once this chunk is done (0..1), when it can be known. */
  progress?: number
  /** Where the chunk starts, as a person reads it: `id > 1000000`. */
  start: string
  /** For a range of reference keys, its first key: where a walk resumes (`ChunkPlan.from`). */
  from?: bigint
}

/**
 * The columns to walk a table by: its primary key, else a unique index over NOT NULL columns; undefined
 * when it has neither (or is a view), with the reason.
 */
export function chunkKeyOf(table: TableInfo): { columns: string[] } | { reason: string } {
  if (table.kind === 'view') return { reason: `${table.name} is a view: counted in one statement` }
  if (table.primaryKey.length > 0) return { columns: table.primaryKey }
  const unique = table.indexes.find(
    (index) =>
      index.unique && !index.partial && index.columns.every((name) => name !== null && findColumn(table, name)?.nullable === false),
  )
  if (unique) return { columns: unique.columns as string[] }
  return { reason: `${table.name} has no primary key or unique NOT NULL key to walk in chunks: counted in one statement` }
}

/** `(a, b) > (x, y)` on alias `c`, spelled out for MySQL/MariaDB, whose optimizer does not use an index for row comparisons. */
export function compareSql(columns: string[], values: unknown[], op: '>' | '<=', family: 'postgres' | 'mysql'): RawBuilder<unknown> {
  const refs = columns.map((column) => columnSql(CHILD, column))
  if (family === 'postgres' || columns.length === 1) {
    const left = columns.length === 1 ? (refs[0] as RawBuilder<unknown>) : sql`(${sql.join(refs)})`
    const right = columns.length === 1 ? sql`${values[0]}` : sql`(${sql.join(values.map((value) => sql`${value}`))})`
    return sql`${left} ${sql.raw(op)} ${right}`
  }
  const strict = op === '>' ? sql.raw('>') : sql.raw('<')
  const alternatives = columns.map((_, i) => {
    const equal = refs.slice(0, i).map((ref, j) => sql`${ref} = ${values[j]}`)
    const last = i === columns.length - 1 && op === '<=' ? sql`${refs[i]} <= ${values[i]}` : sql`${refs[i]} ${strict} ${values[i]}`
    return sql`(${sql.join([...equal, last], sql` and `)})`
  })
  return sql`(${sql.join(alternatives, sql` or `)})`
}

/** Value ranges of a single integer key: no boundary queries, so chunking adds no extra pass over the index. */
async function* integerChunks(db: Kysely<any>, table: TableInfo, column: string, rows: number, chunkRows: number): AsyncGenerator<Chunk> {
  const bounds = await sql<{
    lo: unknown
    hi: unknown
  }>`select min(${sql.id(column)}) as lo, max(${sql.id(column)}) as hi from ${tableSql({ schema: table.schema, table: table.name })}`.execute(
    db,
  )
  const { lo, hi } = bounds.rows[0] ?? {}
  if (lo === null || lo === undefined || hi === null || hi === undefined) return
  const low = BigInt(String(lo))
  const high = BigInt(String(hi))
  const span = high - low + 1n
  const step = BigInt(Math.max(1, Math.ceil((chunkRows * Number(span)) / Math.max(rows, 1))))
  const key = columnSql(CHILD, column)
  for (let start = low; start <= high; start += step) {
    const end = start + step
    const above = start === low ? undefined : sql`${key} >= ${sql.raw(start.toString())}`
    const below = end > high ? undefined : sql`${key} < ${sql.raw(end.toString())}`
    const parts = [above, below].filter((part): part is RawBuilder<unknown> => part !== undefined)
    yield {
      range: parts.length === 0 ? sql`1 = 1` : sql.join(parts, sql` and `),
      progress: Math.min(1, Number(end - low) / Number(span)),
      start: `${column} >= ${start}`,
    }
  }
}

/** A table to read in chunks: the key to walk, the planner's row estimate and the rows per chunk. */
export interface ChunkPlan {
  /** Walk ranges of this integer child key column (indexed), joined to this parent column, instead of `columns`. */
  reference?: { child: string; parent: string }
  db: Kysely<any>
  table: TableInfo
  columns: string[]
  rows: number | undefined
  chunkRows: number
  family: 'postgres' | 'mysql'
  /** Reference key ranges only: start at this key instead of the smallest (resuming a walk). */
  from?: bigint
}

/** Keyset ranges over any key: each chunk ends at the key `chunkRows` rows further on, read from the index. */
async function* keysetChunks({ db, table, columns, rows, chunkRows, family }: ChunkPlan): AsyncGenerator<Chunk> {
  const refs = sql.join(columns.map((column) => columnSql(CHILD, column)))
  const from = sql`${tableSql({ schema: table.schema, table: table.name })} as ${sql.id(CHILD)}`
  let last: unknown[] | undefined
  let done = 0
  for (;;) {
    const after = last ? compareSql(columns, last, '>', family) : sql`1 = 1`
    const next = await sql<
      Record<string, unknown>
    >`select ${refs} from ${from} where ${after} order by ${refs} limit 1 offset ${sql.lit(chunkRows - 1)}`.execute(db)
    const boundary = next.rows[0] ? columns.map((column) => next.rows[0]?.[column]) : undefined
    const upTo = boundary ? compareSql(columns, boundary, '<=', family) : undefined
    done += chunkRows
    yield {
      range: upTo ? sql`${after} and ${upTo}` : after,
      ...(rows ? { progress: boundary ? Math.min(0.99, done / rows) : 1 } : {}),
      start: last ? `(${columns.join(', ')}) > (${last.map(String).join(', ')})` : 'the start',
    }
    if (!boundary) return
    last = boundary
  }
}

/**
 * Ranges of an indexed integer reference column, the same range on the parent key, then the NULL keys: both
 * sides become index range scans the planner merges, so no chunk re-reads the whole parent table.
 */
async function* referenceChunks({ db, table, rows, chunkRows, reference, from: resumeAt }: ChunkPlan): AsyncGenerator<Chunk> {
  const { child, parent } = reference as { child: string; parent: string }
  const key = columnSql(CHILD, child)
  const bounds = await sql<{ lo: unknown; hi: unknown }>`select min(${key}) as lo, max(${key}) as hi
    from ${tableSql({ schema: table.schema, table: table.name })} as ${sql.id(CHILD)}`.execute(db)
  const { lo, hi } = bounds.rows[0] ?? {}
  if (lo !== null && lo !== undefined && hi !== null && hi !== undefined) {
    const low = BigInt(String(lo))
    const high = BigInt(String(hi))
    const span = high - low + 1n
    const step = BigInt(Math.max(1, Math.ceil((chunkRows * Number(span)) / Math.max(rows ?? chunkRows, 1))))
    const parentKey = columnSql('p', parent)
    const first = resumeAt !== undefined && resumeAt > low ? resumeAt : low
    for (let start = first; start <= high; start += step) {
      const end = start + step > high ? high + 1n : start + step
      const [from, to] = [sql.raw(start.toString()), sql.raw(end.toString())]
      yield {
        range: sql`${key} >= ${from} and ${key} < ${to}`,
        parentRange: sql`${parentKey} >= ${from} and ${parentKey} < ${to}`,
        progress: Math.min(0.99, Number(end - low) / Number(span)),
        start: `${child} >= ${start}`,
        from: start,
      }
    }
  }
  yield { range: sql`${key} is null`, progress: 1, start: `${child} is null` }
}

/** The chunks a table is read in: reference key ranges (see `referenceChunks`), else its primary or unique NOT NULL key. */
export function chunksOf(plan: ChunkPlan): AsyncGenerator<Chunk> {
  if (plan.reference) return referenceChunks(plan)
  const single = plan.columns.length === 1 ? findColumn(plan.table, plan.columns[0] as string) : undefined
  if (single && keyTypeOf(single).kind === 'integer' && plan.rows !== undefined && plan.rows > 0) {
    return integerChunks(plan.db, plan.table, single.name, plan.rows, plan.chunkRows)
  }
  return keysetChunks(plan)
}
