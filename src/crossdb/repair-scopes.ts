import type { RepairStep } from '../repair/plan.js'
import { antiJoin } from './anti-join.js'
import { keyId } from './key-codec.js'
import type { CrossScope } from './repair-batch.js'
import { type CrossJoin, groupAt } from './sides.js'

/**
 * The scopes of a cross-database repair step: a sentinel step's one value; an orphan step's orphaned keys as
 * the anti-join finds them, packed into scopes of about `batchSize` rows (a key held by more rows is a scope
 * alone), then, for MATCH FULL, the keys mixing NULLs. The anti-join reads on while the batches run, so memory
 * stays bounded; a resumed step starts it again, and finds only what is still orphaned.
 */
export async function* crossDatabaseScopes(join: CrossJoin, step: RepairStep, batchSize: number): AsyncGenerator<CrossScope> {
  if (step.kind === 'sentinel') {
    yield { kind: 'keys', keys: [[step.value]] }
    return
  }
  const codec = join.plan.codecs[0]
  const keep = new Set(join.relation.child.columns.length === 1 && codec ? step.keep.map((value) => keyId([codec.normalize(value)])) : [])
  let keys: unknown[][] = []
  let rows = 0
  for await (const { page, missing } of antiJoin(join)) {
    for (const i of missing) {
      const group = groupAt(page, i)
      if (keep.has(keyId(group.key))) continue
      if (keys.length > 0 && rows + group.rows > batchSize) {
        yield { kind: 'keys', keys, rows }
        keys = []
        rows = 0
      }
      keys.push(group.raw)
      rows += group.rows
    }
  }
  if (keys.length > 0) yield { kind: 'keys', keys, rows }
  const { columns } = join.relation.child
  if (join.relation.match === 'full' && columns.length > 1) yield { kind: 'keys', keys: [], mixed: true }
}
