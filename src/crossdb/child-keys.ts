import { childBoundarySql, childKeyPageSql, childRangeSql, keyAlias } from './key-sql.js'
import { readKeyPage } from './page-reader.js'
import { compareAt, type CrossJoin, type KeyPage } from './sides.js'

/** Where the next page starts: integers as refguard normalized them (exact past 2^53), everything else as the driver returned it. */
function lastKeyOf(join: CrossJoin, page: KeyPage): unknown[] {
  const last = page.length - 1
  return join.plan.codecs.map((codec, c) => (codec.kind === 'integer' ? page.keys[c]?.[last] : page.raw[c]?.[last]))
}

/** Merge join: pages of distinct keys in ascending order, checked to be ascending (the merge is only exact on sorted input). */
async function* sortedPages(join: CrossJoin): AsyncGenerator<KeyPage> {
  const { relation, child, pageKeys, plan } = join
  let after: unknown[] | undefined
  let previous: KeyPage | undefined
  for (;;) {
    const query = childKeyPageSql(relation, after, pageKeys, child.family)
    const page = await readKeyPage(child, { query, codecs: plan.codecs, wide: join.childColumns.wide, counts: true, ordered: true })
    for (let i = 0; i < page.length; i++) {
      const before = i > 0 ? compareAt(page, i - 1, page, i) : previous ? compareAt(previous, previous.length - 1, page, i) : -1
      if (before >= 0) {
        throw new Error(
          `relation "${relation.name}": database "${child.name}" returned child key ${JSON.stringify(page.raw.map((column) => String(column[i])))} out of refguard's order; the cross-database merge needs index order to be numeric order`,
        )
      }
    }
    if (page.length > 0) {
      yield page
      previous = page
    }
    if (page.length < pageKeys) return
    after = lastKeyOf(join, page)
  }
}

/** Probe join: pages of up to `pageKeys` keyed rows in the child's own order, grouped by exact key value. */
async function* collatedPages(join: CrossJoin): AsyncGenerator<KeyPage> {
  const { relation, child, pageKeys, plan } = join
  let after: unknown[] | undefined
  for (;;) {
    const boundary = (await childBoundarySql(relation, after, pageKeys, child.family).execute(child.db)).rows[0]
    const upTo = boundary ? relation.child.columns.map((_, i) => boundary[keyAlias(i)]) : undefined
    const query = childRangeSql(relation, join.childColumns.text, { after, upTo }, child.family)
    const page = await readKeyPage(child, { query, codecs: plan.codecs, wide: join.childColumns.wide, counts: true, ordered: false })
    if (page.length > 0) yield page
    if (!upTo) return
    after = upTo
  }
}

/** The child's keys (NULL-free, after the relation's filter) in pages, each read by keyset pagination in its own statement. */
export function childKeyPages(join: CrossJoin): AsyncGenerator<KeyPage> {
  return join.plan.join === 'merge' ? sortedPages(join) : collatedPages(join)
}
