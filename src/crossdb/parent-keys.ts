import type { Kysely } from 'kysely'
import { keyId, type KeyValue } from './key-codec.js'
import { keyAlias, parentKeyPageSql, parentProbeSql } from './key-sql.js'
import { readKeyPage } from './page-reader.js'
import { readingParent } from './parent-errors.js'
import { compareAt, type CrossJoin, type KeyPage } from './sides.js'

/** Answers, for a page of child keys, which of them the parent table holds. */
export interface ParentLookup {
  present(page: KeyPage): Promise<boolean[]>
}

/** Parent keys per probe statement: few enough for MySQL's placeholder limit and a quick plan. */
const PROBE_KEYS = 1000

/** Every combination of the columns' probe values (a uuid in a case-sensitive text column is looked up in both cases). */
function combinations(columns: unknown[][]): unknown[][] {
  return columns.reduce<unknown[][]>((tuples, values) => tuples.flatMap((tuple) => values.map((value) => [...tuple, value])), [[]])
}

function keyAt(page: KeyPage, i: number): KeyValue[] {
  return page.keys.map((column) => column[i] as KeyValue)
}

/**
 * Looks keys up in the parent by value, a statement per thousand keys: fresh reads, in any order. `via` runs them
 * on one connection of the parent database instead, share-locking the parents found (a child write's check).
 */
export function parentProbe(join: CrossJoin, via?: { db: Kysely<any>; lock: boolean }): ParentLookup {
  const { relation, parent, plan } = join
  return {
    async present(page) {
      const found = new Set<string>()
      for (let start = 0; start < page.length; start += PROBE_KEYS) {
        const tuples = new Map<string, unknown[]>()
        for (let i = start; i < Math.min(page.length, start + PROBE_KEYS); i++) {
          const key = keyAt(page, i)
          for (const tuple of combinations(plan.codecs.map((codec, c) => codec.probeValues(key[c] as KeyValue)))) {
            tuples.set(JSON.stringify(tuple.map(String)), tuple)
          }
        }
        if (tuples.size === 0) continue
        const query = parentProbeSql(relation, plan.codecs, [...tuples.values()], parent.family, via?.lock)
        const { rows } = await readingParent(join, () => query.execute(via?.db ?? parent.db))
        for (const row of rows) found.add(keyId(plan.codecs.map((codec, c) => codec.normalize(row[keyAlias(c)]))))
      }
      return Array.from({ length: page.length }, (_, i) => found.has(keyId(keyAt(page, i))))
    },
  }
}

/**
 * Walks the parent's keys in index order alongside ascending child keys, a page at a time, the next page read
 * while the current one is merged. When the child keys jump past the next page, it seeks to them instead
 * (`>= key`), so parent ranges no child references are skipped, not read.
 */
export function parentCursor(join: CrossJoin): ParentLookup {
  const { relation, parent, plan, pageKeys } = join
  const empty: KeyPage = { length: 0, raw: [], keys: [], rows: [] }
  let keys = empty
  let position = 0
  let ended = false
  let ahead: Promise<KeyPage> | undefined

  const read = async (from: { key: unknown[]; inclusive: boolean }): Promise<KeyPage> => {
    const query = parentKeyPageSql(relation, from, pageKeys, parent.family)
    const page = await readingParent(join, () =>
      readKeyPage(parent, { query, codecs: plan.codecs, wide: join.parentColumns.wide, counts: false, ordered: true }),
    )
    for (let i = 1; i < page.length; i++) {
      if (compareAt(page, i - 1, page, i) > 0) {
        throw new Error(
          `relation "${relation.name}": database "${parent.name}" returned parent key ${JSON.stringify(keyAt(page, i).map(String))} out of refguard's order`,
        )
      }
    }
    return page
  }
  const adopt = (page: KeyPage) => {
    keys = page
    position = 0
    ended = page.length < pageKeys
    ahead = ended ? undefined : read({ key: keyAt(page, page.length - 1), inclusive: false })
    ahead?.catch(() => {})
  }
  const refill = async (target: KeyPage, i: number) => {
    const next = ahead ? await ahead : undefined
    if (next && (next.length < pageKeys || compareAt(next, next.length - 1, target, i) >= 0)) adopt(next)
    else adopt(await read({ key: keyAt(target, i), inclusive: true }))
  }

  return {
    async present(page) {
      const result = new Array<boolean>(page.length)
      for (let i = 0; i < page.length; i++) {
        for (;;) {
          while (position < keys.length && compareAt(keys, position, page, i) < 0) position++
          if (position < keys.length) {
            result[i] = compareAt(keys, position, page, i) === 0
            break
          }
          if (ended) {
            result[i] = false
            break
          }
          await refill(page, i)
        }
      }
      return result
    },
  }
}
