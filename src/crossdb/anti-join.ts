import { childKeyPages } from './child-keys.js'
import { parentCursor, parentProbe } from './parent-keys.js'
import { prefetched } from './prefetch.js'
import type { CrossJoin, KeyPage } from './sides.js'

/** One page of the anti-join: the child's keys, and the positions of those no parent row holds. */
export interface JoinedPage {
  page: KeyPage
  missing: number[]
}

function subPage(page: KeyPage, positions: number[]): KeyPage {
  return {
    length: positions.length,
    raw: page.raw.map((column) => positions.map((i) => column[i])),
    keys: page.keys.map((column) => positions.map((i) => column[i] as (typeof column)[number])),
    rows: positions.map((i) => page.rows[i] as number),
  }
}

/**
 * The cross-database anti-join, a page at a time: the child's distinct keys (keyset pagination, one statement
 * per page) against the parent's keys, merged in order (or probed, for keys whose order is a collation's).
 * Memory holds one child page, one parent page and the page read ahead on each side, whatever the tables' sizes.
 * Keys the merge finds missing are looked up once more in the parent, at once: a parent inserted after its
 * page was read is not reported.
 */
export async function* antiJoin(join: CrossJoin): AsyncGenerator<JoinedPage> {
  const probe = parentProbe(join)
  const lookup = join.plan.join === 'merge' ? parentCursor(join) : probe
  for await (const page of prefetched(childKeyPages(join))) {
    const present = await lookup.present(page)
    let missing = present.flatMap((found, i) => (found ? [] : [i]))
    if (join.plan.join === 'merge' && missing.length > 0) {
      const again = await probe.present(subPage(page, missing))
      missing = missing.filter((_, j) => !again[j])
    }
    yield { page, missing }
  }
}
