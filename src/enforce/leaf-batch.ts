import { sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import { prepared } from '../db/prepared.js'
import type { Relation } from '../model/relation.js'
import type { EnforcementContext } from './context.js'
import { usesTransactionSnapshot } from './isolation.js'
import type { Sql } from './sql-parts.js'

/**
 * A job's bookkeeping, folded into a leaf batch's one statement (see `deleteLeafRows`) so that the batch needs no
 * transaction of its own: the statement changes rows only while `owner` selects the job's row (locking it), and
 * records them with `record`.
 */
export interface BatchStamp {
  /** Selects (FOR UPDATE) the job's row while the job is still this worker's. */
  owner: Sql
  /** Updates the job's row (its id in `owned`), adding `rows` (a scalar subquery) to its progress. */
  record: (rows: Sql) => Sql
  /**
   * Whether the job's leaf batches may go to the server in runs (see leaf-run.ts); cleared when a run's report could
   * not be read back, so that the rest of the job goes one batch at a time.
   */
  runs: boolean
  /** With a cap on batches at once (`dbConcurrency`): the PL/pgSQL statement with which each batch of a run waits for its slot. */
  slot?: string
}

/** A leaf batch's stamp found that its job is no longer this worker's: it changed nothing. */
export class StampLostError extends Error {
  constructor() {
    super('the job was taken over by another worker; the batch changed nothing')
  }
}

/** What a batch did: the rows it changed, and how many pending children it found (at most `limit` + 1). */
export interface ActedRows {
  rows: number
  found: number
}

/**
 * The leaf batch (see `deletesLeafRows`): one statement, prepared, picks the pending rows by ctid, one more than the
 * batch, and deletes all but that one. With a `stamp` it also locks and updates the job's row, deleting nothing
 * unless the job is still this worker's, and commits without waiting for the WAL flush on a PostgreSQL server (the
 * rows and their progress record are lost or kept together; see own-transaction.ts): one round trip, no transaction.
 * The rows it reports are the rows it picked: the DELETE returns nothing, since RETURNING would fetch every deleted
 * row again (a fifth of the batch's time). A picked row that a concurrent transaction changes before the DELETE
 * reaches it is skipped (its ctid changed), picked again by a later batch and counted a second time.
 */
export async function deleteLeafRows(
  context: EnforcementContext,
  relation: Relation,
  pending: Sql,
  limit: number,
  stamp?: BatchStamp,
): Promise<ActedRows> {
  const { rows } = await context.runner.run<{ deleted: unknown; found: unknown; owned: unknown }>(
    prepared(leafStatement(context, relation, pending, limit, stamp)),
  )
  if (Number(rows[0]?.owned ?? 0) === 0) throw new StampLostError()
  return { rows: Number(rows[0]?.deleted ?? 0), found: Number(rows[0]?.found ?? 0) }
}

/** The leaf batch's statement (see `deleteLeafRows`); it returns one row: `deleted`, `found`, `owned` (and the commit setting). */
export function leafStatement(context: EnforcementContext, relation: Relation, pending: Sql, limit: number, stamp?: BatchStamp): Sql {
  const table = tableSql(relation.child)
  const owned = stamp ? sql`${sql.id('owned')} as (${stamp.owner}), ` : sql``
  const ownedOnly = stamp ? sql`exists (select 1 from ${sql.id('owned')}) and ` : sql``
  const deleted = sql`least((select cardinality(${sql.id('rows')}) from ${sql.id('picked')}), ${sql.lit(limit)})`
  const recorded = stamp ? sql`, ${sql.id('recorded')} as (${stamp.record(deleted)})` : sql``
  const asyncCommit = stamp && context.runner.engine === 'postgres' ? sql`, set_config('synchronous_commit', 'off', true)` : sql``
  const ownedCount = stamp ? sql`(select count(*) from ${sql.id('owned')})` : sql`1`
  return sql`with ${owned}${sql.id('picked')} as (select array(
        select ${sql.id('c', 'ctid')} from ${table} as ${sql.id('c')} where ${pending} limit ${sql.lit(limit + 1)}) as ${sql.id('rows')}),
      ${sql.id('gone')} as (delete from ${table} as ${sql.id('d')}
        where ${ownedOnly}${sql.id('d', 'ctid')} = any(((select ${sql.id('rows')}[1:${sql.lit(limit)}] from ${sql.id('picked')}))::tid[]))${recorded}
      select ${deleted} as ${sql.id('deleted')},
        (select cardinality(${sql.id('rows')}) from ${sql.id('picked')}) as ${sql.id('found')}, ${ownedCount} as ${sql.id('owned')}${asyncCommit}`
}

/**
 * A cascaded delete of rows that nothing else refers to, on PostgreSQL: then one statement deletes the batch, picking
 * its rows by ctid, with no row read into the worker and no engine pass. A row changed by a concurrent transaction
 * between the pick and the delete has a new ctid and is left for the next batch. The child table must be no parent
 * itself, not soft-deleted, and the transaction not under snapshot isolation (whose crosscheck tracks deleted rows).
 */
export async function deletesLeafRows(context: EnforcementContext, relation: Relation, write: 'update' | 'delete'): Promise<boolean> {
  return (
    context.runner.family === 'postgres' &&
    write === 'delete' &&
    relation.onDelete === 'cascade' &&
    context.graph.childrenOf(relation.child).length === 0 &&
    !context.softDelete(relation.child) &&
    !(await usesTransactionSnapshot(context))
  )
}
