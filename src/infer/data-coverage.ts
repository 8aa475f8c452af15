import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import type { Candidate, Coverage, ParentStats } from './candidate.js'
import { isIntegerColumn, isStringColumn } from './type-compatibility.js'

/** Candidates checked in one statement: one join each on the child's single scan. */
export const JOINS_PER_STATEMENT = 8

/** How to read a child table: every row, or at most `rows` rows sampled out of about `estimatedRows` (the first rows when unknown). */
export type ReadMode = { method: 'exact' } | { method: 'sample'; rows: number; estimatedRows?: number }

/** The coverage of each candidate, and whether the read saw every row of the child. */
export interface CoverageRead {
  coverages: Coverage[]
  complete: boolean
}

function numberOrUndefined(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined
  const number = Number(value)
  return Number.isFinite(number) ? number : undefined
}

/** Row count of a parent table, and each of its key columns with its row count and (whole numbers) its smallest and largest key. */
export async function readParentStats(
  db: Kysely<any>,
  parent: TableInfo,
  columns: ColumnInfo[],
): Promise<{ rows: number; keys: Map<string, ParentStats> }> {
  const ranged = columns.filter(isIntegerColumn)
  const parts = ranged.flatMap((column, i) => [
    sql`min(${sql.id(column.name)}) as ${sql.id(`lo${i}`)}`,
    sql`max(${sql.id(column.name)}) as ${sql.id(`hi${i}`)}`,
  ])
  const { rows } = await sql<Record<string, unknown>>`select ${sql.join([sql`count(*) as n`, ...parts])}
    from ${sql.id(parent.schema, parent.name)}`.execute(db)
  const row = rows[0] ?? {}
  const count = Number(row.n ?? 0)
  const keys = new Map<string, ParentStats>(columns.map((column) => [column.name, { rows: count }]))
  ranged.forEach((column, i) => {
    const min = numberOrUndefined(row[`lo${i}`])
    const max = numberOrUndefined(row[`hi${i}`])
    if (min !== undefined && max !== undefined) keys.set(column.name, { rows: count, min, max })
  })
  return { rows: count, keys }
}

/** The child rows a candidate applies to: every child column set, and its `where` filter. */
function applies(candidate: Candidate): RawBuilder<unknown> {
  const conditions = candidate.child.columns.map((column) => sql`${sql.id('c', column.name)} is not null`)
  for (const [column, value] of Object.entries(candidate.child.where ?? {})) {
    conditions.push(value === null ? sql`${sql.id('c', column)} is null` : sql`${sql.id('c', column)} = ${value}`)
  }
  return sql.join(conditions, sql` and `)
}

/** The columns of the child a batch of candidates reads. */
function childColumns(candidates: readonly Candidate[]): string[] {
  const names = new Set<string>()
  for (const candidate of candidates) {
    for (const column of candidate.child.columns) names.add(column.name)
    for (const column of Object.keys(candidate.child.where ?? {})) names.add(column)
  }
  return [...names]
}

/** Percent of a PostgreSQL table's pages to sample: enough for about three times the rows wanted, since pages vary in how full they are. */
function samplePercent(family: 'postgres' | 'mysql', mode: ReadMode): number {
  if (mode.method === 'exact' || family === 'mysql' || mode.estimatedRows === undefined) return 100
  return Math.min(100, Math.max(0.0001, Number(((300 * mode.rows) / Math.max(1, mode.estimatedRows)).toFixed(4))))
}

/** The child as the statement reads it: the table, or a subquery of sampled rows (PostgreSQL samples pages, MySQL reads the first rows). */
function childSource(family: 'postgres' | 'mysql', table: TableInfo, columns: string[], mode: ReadMode): RawBuilder<unknown> {
  const name = sql.id(table.schema, table.name)
  if (mode.method === 'exact') return sql`${name} as c`
  const list = sql.join(columns.map((column) => sql.id(column)))
  const percent = samplePercent(family, mode)
  const sample = percent < 100 ? sql` tablesample system (${sql.lit(percent)})` : sql``
  return sql`(select ${list} from ${name}${sample} limit ${sql.lit(mode.rows)}) as c`
}

/** The select-list items of one candidate: rows it applies to, matches, and for one whole-number column distinct keys, ranges and sentinels. */
function measures(candidate: Candidate, i: number): RawBuilder<unknown>[] {
  const parent = `p${i}`
  const key = sql.id(parent, (candidate.parent.columns[0] as ColumnInfo).name)
  const when = applies(candidate)
  const items = [sql`sum(case when ${when} then 1 else 0 end) as ${sql.id(`n${i}`)}`, sql`count(${key}) as ${sql.id(`m${i}`)}`]
  if (candidate.child.columns.length !== 1) return items
  const child = candidate.child.columns[0] as ColumnInfo
  const value = sql.id('c', child.name)
  items.push(sql`count(distinct ${key}) as ${sql.id(`d${i}`)}`)
  if (isIntegerColumn(child)) {
    items.push(
      sql`min(${key}) as ${sql.id(`lo${i}`)}`,
      sql`max(${key}) as ${sql.id(`hi${i}`)}`,
      sql`min(case when ${when} then ${value} end) as ${sql.id(`clo${i}`)}`,
      sql`max(case when ${when} then ${value} end) as ${sql.id(`chi${i}`)}`,
      sql`sum(case when ${key} is null and ${when} and ${value} = 0 then 1 else 0 end) as ${sql.id(`z${i}`)}`,
    )
  } else if (isStringColumn(child)) {
    items.push(sql`sum(case when ${key} is null and ${when} and ${value} = '' then 1 else 0 end) as ${sql.id(`z${i}`)}`)
  }
  return items
}

function join(candidate: Candidate, i: number): RawBuilder<unknown> {
  const parent = `p${i}`
  const on = candidate.parent.columns.map(
    (column, j) => sql`${sql.id(parent, column.name)} = ${sql.id('c', (candidate.child.columns[j] as ColumnInfo).name)}`,
  )
  const filter = Object.keys(candidate.child.where ?? {}).length > 0 ? [applies(candidate)] : []
  return sql`left join ${sql.id(candidate.parent.table.schema, candidate.parent.table.name)} as ${sql.id(parent)} on ${sql.join([...on, ...filter], sql` and `)}`
}

/**
 * How many child values each candidate's parent has, read in one scan of the child (whole or sampled) with one
 * left join per candidate on the parent's unique key; at most JOINS_PER_STATEMENT candidates per call.
 */
export async function readCoverage(
  db: Kysely<any>,
  family: 'postgres' | 'mysql',
  table: TableInfo,
  candidates: readonly Candidate[],
  mode: ReadMode,
): Promise<CoverageRead> {
  const source = childSource(family, table, childColumns(candidates), mode)
  const { rows } = await sql<Record<string, unknown>>`select ${sql.join([sql`count(*) as total`, ...candidates.flatMap(measures)])}
    from ${source} ${sql.join(candidates.map(join), sql` `)}`.execute(db)
  const row = rows[0] ?? {}
  // A sample that read fewer rows than it may, from every page, read the whole table.
  const complete = mode.method === 'exact' || (Number(row.total ?? 0) < mode.rows && samplePercent(family, mode) === 100)
  const coverages = candidates.map((_, i) => {
    const coverage: Coverage = {
      method: complete ? 'exact' : 'sample',
      rows: Number(row[`n${i}`] ?? 0),
      matched: Number(row[`m${i}`] ?? 0),
      sentinels: Number(row[`z${i}`] ?? 0),
    }
    const optional: Array<[keyof Coverage, string]> = [
      ['referenced', 'd'],
      ['matchedMin', 'lo'],
      ['matchedMax', 'hi'],
      ['childMin', 'clo'],
      ['childMax', 'chi'],
    ]
    for (const [field, prefix] of optional) {
      const value = numberOrUndefined(row[`${prefix}${i}`])
      if (value !== undefined) Object.assign(coverage, { [field]: value })
    }
    return coverage
  })
  return { coverages, complete }
}
