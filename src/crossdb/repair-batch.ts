import { type Kysely, type RawBuilder, sql } from 'kysely'
import { compareSql } from '../audit/chunks.js'
import { childFilterSql, childFromSql } from '../audit/orphan-query.js'
import { columnSql } from '../db/identifiers.js'
import { childSource } from '../repair/archive.js'
import { archiveBatch, type BatchContext, type BatchOutcome, type BatchScope, changeSql, keyListSql } from '../repair/batch.js'
import { keyId } from './key-codec.js'
import { CHILD } from './key-sql.js'
import { parentProbe } from './parent-keys.js'
import { type ChildKeyGroup, type CrossJoin, pageOf } from './sides.js'

/**
 * The rows one scope of a cross-database step covers: those holding one of `keys` (whole child keys, as the
 * child's driver returned them), or, for MATCH FULL, every key mixing NULL and non-NULL values (`mixed`).
 * `after` is the primary key of the last row a batch of the scope took: rows whose parent turned up stay, and
 * the next batch goes on past them.
 */
export interface CrossScope {
  kind: 'keys'
  keys: unknown[][]
  rows?: number
  mixed?: boolean
  after?: unknown[]
}

function nullChecks(columns: string[], test: 'is null' | 'is not null'): RawBuilder<unknown> {
  return sql.join(
    columns.map((column) => sql`${columnSql(CHILD, column)} ${sql.raw(test)}`),
    sql` and `,
  )
}

/** Rows of the scope that need a parent (NULL-free keys, or MATCH FULL's mixed ones), after the relation's filter. */
function keyedSql(join: CrossJoin, scope: CrossScope): RawBuilder<unknown> {
  const columns = join.relation.child.columns
  const keyed = scope.mixed
    ? sql`not (${nullChecks(columns, 'is not null')}) and not (${nullChecks(columns, 'is null')})`
    : sql`${nullChecks(columns, 'is not null')} and ${keyListSql(columns, scope.keys)}`
  return sql`${childFilterSql(join.relation)} and ${keyed}`
}

/** Locks the scope's next `batchSize` rows past its cursor, in primary key order, reading their primary and child keys. */
async function lockCandidates(
  trx: Kysely<any>,
  context: BatchContext,
  join: CrossJoin,
  scope: CrossScope,
): Promise<Record<string, unknown>[]> {
  const { child, family, batchSize } = context
  const pk = child.primaryKey
  const keys = join.relation.child.columns.filter((column) => !pk.includes(column))
  const selected = sql.join([...pk, ...keys].map((column) => columnSql(CHILD, column)))
  const after = scope.after ? sql` and ${compareSql(pk, scope.after, '>', family)}` : sql``
  const order = sql.join(pk.map((column) => columnSql(CHILD, column)))
  const { rows } = await sql<Record<string, unknown>>`select ${selected} from ${childFromSql(join.relation)}
    where ${keyedSql(join, scope)}${after} order by ${order} limit ${sql.lit(batchSize)} for update`.execute(trx)
  return rows
}

/**
 * One batch of a cross-database step, inside the batch's transaction on the child database: locks the next rows
 * holding the scope's keys, then asks the parent database, afresh, which of their keys it holds, and archives and
 * changes only the rows whose key it still lacks. The child rows are locked before the parent is read: a child
 * written since with a key whose parent has just appeared is not among them. A parent that appears after the
 * read is as if inserted after the batch: the rows were orphans when they were changed.
 */
export function crossDatabaseChange(join: CrossJoin): NonNullable<BatchContext['change']> {
  const probe = parentProbe(join)
  const { codecs } = join.plan
  const columns = join.relation.child.columns
  const idOf = (row: Record<string, unknown>) => keyId(codecs.map((codec, i) => codec.normalize(row[columns[i] as string])))
  /** The ids of the rows' keys that the parent database holds now. */
  const presentKeys = async (rows: Record<string, unknown>[]): Promise<Set<string>> => {
    const groups = new Map<string, ChildKeyGroup>()
    for (const row of rows) {
      const raw = columns.map((column) => row[column])
      groups.set(idOf(row), { raw, key: codecs.map((codec, i) => codec.normalize(raw[i])), rows: 1 })
    }
    const distinct = [...groups.values()]
    const found = await probe.present(pageOf(distinct, columns.length))
    return new Set(distinct.flatMap((group, k) => (found[k] ? [keyId(group.key)] : [])))
  }
  return async (trx, context, scope: BatchScope, batch): Promise<BatchOutcome> => {
    const cross = scope as CrossScope
    const pk = context.child.primaryKey
    const rows = await lockCandidates(trx, context, join, cross)
    if (rows.length === 0) return { taken: 0, more: false, changed: 0, archived: 0 }
    const last = pk.map((column) => (rows[rows.length - 1] as Record<string, unknown>)[column])
    cross.after = last
    // A key mixing NULLs matches no parent: nothing to ask the parent database.
    const present = cross.mixed ? undefined : await presentKeys(rows)
    const targets = rows.filter((row) => !present?.has(idOf(row))).map((row) => pk.map((column) => row[column]))
    const outcome = { taken: rows.length, more: rows.length === context.batchSize, last }
    if (targets.length === 0) return { ...outcome, changed: 0, archived: 0 }
    const where = sql`${keyListSql(pk, targets)} and ${keyedSql(join, cross)}`
    const archived = await context.archive.write(trx, archiveBatch(context, batch), childSource(context.child, where), context.family)
    const changed = Number((await changeSql(context, where).execute(trx)).numAffectedRows ?? 0)
    return { ...outcome, changed, archived }
  }
}
