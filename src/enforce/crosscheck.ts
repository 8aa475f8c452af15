import { type Kysely, sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'
import { childFilter, columnRefs } from './checks.js'
import { chunks, type KeyTuple } from './keys.js'
import { serializationError } from './messages.js'
import type { Runner } from './runner.js'
import { keyInList } from './sql-parts.js'

const WRAP = 2n ** 32n

/** A PostgreSQL snapshot, `xmin:xmax:xip,...` as pg_current_snapshot() prints it. */
interface Snapshot {
  xmin: bigint
  xmax: bigint
  inProgress: Set<bigint>
}

function parseSnapshot(text: string): Snapshot {
  const [xmin, xmax, list] = text.split(':')
  return {
    xmin: BigInt(xmin as string),
    xmax: BigInt(xmax as string),
    inProgress: new Set((list ?? '').split(',').filter(Boolean).map(BigInt)),
  }
}

/** Whether a row inserted by 32-bit transaction id `xid` is visible to the snapshot (epoch taken from the snapshot). */
export function visibleInSnapshot(xid: bigint, snapshot: Snapshot): boolean {
  if (xid < 3n) return true // bootstrap and frozen transaction ids
  let full = (snapshot.xmax / WRAP) * WRAP + xid
  if (full >= snapshot.xmax + WRAP / 2n) full -= WRAP
  if (full < snapshot.xmin) return true
  return full < snapshot.xmax && !snapshot.inProgress.has(full)
}

/**
 * PostgreSQL REPEATABLE READ and SERIALIZABLE: a parent deleter's snapshot cannot see a child that a
 * concurrent transaction committed after the snapshot was taken, so its own check would pass and an
 * orphan would commit. PostgreSQL's own foreign keys cross-check with a fresh snapshot; refguard does
 * the same through a second connection: any child of a removed key that is committed but invisible
 * to this transaction's snapshot makes the statement fail with 40001, and the caller retries.
 */
export async function crosscheckRemovedKeys(runner: Runner, side: Kysely<any>, relation: Relation, keys: KeyTuple[]): Promise<void> {
  const snapshotRow = await runner.run<{ snapshot: string }>(sql`select pg_current_snapshot()::text as snapshot`)
  const snapshot = parseSnapshot(snapshotRow.rows[0]?.snapshot as string)
  const child = columnRefs('c', relation.child.columns)
  for (const chunk of chunks(keys, 1000)) {
    const committed = await sql<{ xid: string }>`select ${sql.id('c', 'xmin')}::text as xid, ${sql.join(child)}
      from ${tableSql(relation.child)} as ${sql.id('c')}
      where ${childFilter(relation, 'c')} and ${keyInList(child, chunk)}`.execute(side)
    const unseen = committed.rows.find((row) => !visibleInSnapshot(BigInt(row.xid), snapshot))
    if (unseen)
      throw serializationError(
        relation,
        relation.child.columns.map((column) => (unseen as Record<string, unknown>)[column]),
        'delete',
      )
  }
}
