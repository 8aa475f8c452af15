import { estimateRows } from '../audit/row-estimate.js'
import type { ScanOptions, ScanResult } from '../audit/scan.js'
import type { TableInfo } from '../db/schema-info.js'
import { antiJoin } from './anti-join.js'
import { compareValues, keyId, type KeyValue } from './key-codec.js'
import { childMixedKeysSql, childNullKeysSql, keyAlias } from './key-sql.js'
import { type ChildKeyGroup, type CrossJoin, groupAt } from './sides.js'

/** A sample key as JSON shows it: integers as numbers (as text past 2^53), text exactly as the child holds it. */
function sampleValue(join: CrossJoin, group: Pick<ChildKeyGroup, 'key' | 'raw'>, i: number): unknown {
  const value = group.key[i]
  if (join.plan.codecs[i]?.kind !== 'integer') return group.raw[i]
  return typeof value === 'bigint' ? value.toString() : value
}

/** NULLs first (a MATCH FULL key mixing NULLs), then refguard's order. */
function compareSampleKeys(a: Array<KeyValue | null>, b: Array<KeyValue | null>): number {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] ?? null, b[i] ?? null]
    if (x === null || y === null) {
      if (x !== y) return x === null ? -1 : 1
      continue
    }
    const order = compareValues(x, y)
    if (order !== 0) return order
  }
  return 0
}

/** The smallest `limit` distinct orphaned keys seen so far, whatever order they arrive in. */
class SampleKeeper {
  private readonly kept: Array<{ key: Array<KeyValue | null>; id: string; sample: Record<string, unknown> }> = []

  constructor(
    private readonly columns: string[],
    private readonly limit: number,
  ) {}

  offer(key: Array<KeyValue | null>, values: unknown[]): void {
    if (this.limit === 0) return
    const id = JSON.stringify(key.map((value) => (value === null ? null : String(value))))
    if (this.kept.some((entry) => entry.id === id)) return
    const full = this.kept.length >= this.limit
    if (full && compareSampleKeys(key, (this.kept[this.kept.length - 1] as (typeof this.kept)[number]).key) >= 0) return
    const sample = Object.fromEntries(this.columns.map((column, i) => [column, values[i]]))
    this.kept.push({ key, id, sample })
    this.kept.sort((a, b) => compareSampleKeys(a.key, b.key))
    if (this.kept.length > this.limit) this.kept.pop()
  }

  samples(): Record<string, unknown>[] {
    return this.kept.map((entry) => entry.sample)
  }
}

/**
 * Counts one cross-database relation: the child's rows and orphans, sentinel orphans and the smallest orphaned
 * keys, through the paged anti-join. Between pages it honours --max-time and reports progress; no statement
 * holds a transaction open, on either database.
 */
export async function scanAcrossDatabases(join: CrossJoin, childTable: TableInfo, options: ScanOptions): Promise<ScanResult> {
  const { relation, child } = join
  const columns = relation.child.columns
  const codec = join.plan.codecs[0]
  const sentinelIds = columns.length === 1 && codec ? options.sentinels.map((value) => keyId([codec.normalize(value)])) : []
  const samples = new SampleKeeper(columns, options.sample)
  const nulls = (await childNullKeysSql(relation).execute(child.db)).rows[0]
  const mixed = Number(nulls?.mixed ?? 0)
  const result: ScanResult = {
    rowsChecked: Number(nulls?.n ?? 0),
    orphans: mixed,
    sentinelCounts: options.sentinels.map(() => 0),
    samples: [],
    complete: true,
    scan: {
      mode: 'chunked',
      chunks: 0,
      walked: columns,
      note: `across databases: child keys from "${child.name}", parent keys from "${join.parent.name}", ${join.plan.join === 'merge' ? 'merged in key order' : 'looked up page by page'}, ${join.pageKeys.toLocaleString('en-US')} keys per page`,
    },
  }
  if (mixed > 0 && options.sample > 0) {
    const { rows } = await childMixedKeysSql(relation, options.sample).execute(child.db)
    for (const row of rows) {
      const raw = columns.map((_, i) => row[keyAlias(i)] ?? null)
      samples.offer(
        raw.map((value, i) => (value === null ? null : (join.plan.codecs[i]?.normalize(value) as KeyValue))),
        raw,
      )
    }
  }
  const estimate = await estimateRows(child.db, child.family, childTable)
  for await (const { page, missing } of antiJoin(join)) {
    if (options.deadline.expired()) {
      result.complete = false
      result.scan.note = `stopped by --max-time after ${result.rowsChecked.toLocaleString('en-US')} rows`
      break
    }
    result.scan.chunks++
    for (const rows of page.rows) result.rowsChecked += rows
    for (const i of missing) {
      const group = groupAt(page, i)
      result.orphans += group.rows
      const sentinel = sentinelIds.indexOf(keyId(group.key))
      if (sentinel >= 0) result.sentinelCounts[sentinel] = (result.sentinelCounts[sentinel] as number) + group.rows
      samples.offer(
        group.key,
        columns.map((_, c) => sampleValue(join, group, c)),
      )
    }
    options.onProgress?.({
      relation: relation.name,
      rows: result.rowsChecked,
      ...(estimate ? { fraction: Math.min(0.99, result.rowsChecked / estimate) } : {}),
    })
  }
  result.samples = samples.samples()
  return result
}
