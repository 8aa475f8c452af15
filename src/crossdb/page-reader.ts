import { type RawBuilder, sql } from 'kysely'
import type { ColumnCodec } from './key-codec.js'
import { keyAlias } from './key-sql.js'
import type { JoinSide, KeyPage } from './sides.js'

/** How to read a page of keys: the query (columns `k0..`, and `n` for counts) and what its columns hold. */
export interface PageQuery {
  query: RawBuilder<Record<string, unknown>>
  codecs: ColumnCodec[]
  /** 64-bit integer columns, sent as JSON text. */
  wide: boolean[]
  counts: boolean
  /** Whether the page's key order matters (merge pages), so the packed columns keep it. */
  ordered: boolean
}

/**
 * PostgreSQL: the query's rows as one JSON array of columns, `[[k0...], [k1...], [n...]]`, which the driver
 * parses with JSON.parse: a page costs a few arrays instead of an object per row.
 */
function packedSql(page: PageQuery): RawBuilder<{ page: unknown }> {
  const keys = page.codecs.map((_, i) => sql.id('s', keyAlias(i)))
  const order = page.ordered ? sql` order by ${sql.join(keys)}` : sql``
  const parts = keys.map((ref, i) => sql`json_agg(${page.wide[i] ? sql`${ref}::text` : ref}${order})`)
  if (page.counts) parts.push(sql`json_agg(${sql.id('s', 'n')}${order})`)
  return sql`select json_build_array(${sql.join(parts)}) as page from (${page.query}) as s`
}

function keyPage(raw: unknown[][], counts: unknown[] | undefined, codecs: ColumnCodec[]): KeyPage {
  const length = raw[0]?.length ?? 0
  return {
    length,
    raw,
    keys: raw.map((column, c) => column.map((value) => (codecs[c] as ColumnCodec).normalize(value))),
    rows: counts ? counts.map(Number) : new Array<number>(length).fill(1),
  }
}

/** Runs a page query on one side: packed into JSON on PostgreSQL, row by row on MySQL/MariaDB (whose JSON aggregates are length-capped). */
export async function readKeyPage(side: JoinSide, page: PageQuery): Promise<KeyPage> {
  const columns = page.codecs.length
  if (side.family === 'postgres') {
    const { rows } = await packedSql(page).execute(side.db)
    const packed = (rows[0]?.page ?? []) as Array<unknown[] | null>
    const raw = Array.from({ length: columns }, (_, i) => packed[i] ?? [])
    return keyPage(raw, page.counts ? (packed[columns] ?? []) : undefined, page.codecs)
  }
  const { rows } = await page.query.execute(side.db)
  const raw = Array.from({ length: columns }, (_, i) => rows.map((row) => row[keyAlias(i)]))
  return keyPage(raw, page.counts ? rows.map((row) => row.n) : undefined, page.codecs)
}
