import { type Kysely, sql } from 'kysely'
import { compareSql } from '../audit/chunks.js'
import { tableSql } from '../db/identifiers.js'
import { childFilter, columnRefs, keyMatch, notSoftDeleted } from '../enforce/checks.js'
import { type EnforcementContext, newStatementState } from '../enforce/context.js'
import { enforceWrite } from '../enforce/enforce-statement.js'
import { type KeyTuple, keyId as rawKeyId } from '../enforce/keys.js'
import { andAll } from '../enforce/sql-parts.js'
import { identityOf, onlyRows } from '../enforce/batch-rows.js'
import { workerActionSpec } from '../enforce/queued-actions.js'
import { type ColumnCodec, keyId, type KeyValue } from './key-codec.js'
import { parentProbe } from './parent-keys.js'
import { type ChildKeyGroup, type CrossJoin, pageOf } from './sides.js'

/** What one batch of a cross-database job did in the child database. */
export interface CrossDatabaseBatch {
  /** Child rows deleted or changed. */
  rows: number
  /** Whether no child of a still-absent parent key is left: the job is complete. */
  finished: boolean
  /** The identity of the last row the batch locked: the next batch goes on past it (rows whose parent came back stay behind). */
  last?: unknown[]
}

/** One parent key change of a job, with the key as refguard compares it across engines. */
interface KeyChange {
  before: KeyTuple
  after: KeyTuple
  id: string
  key: KeyValue[]
}

/** A child row the batch locked: its identity, its key as the child's driver gave it, and that key's comparable id. */
interface LockedRow {
  identity: unknown[]
  raw: KeyTuple
  id: string
}

/**
 * The values to find a key's children by in the child column: a uuid may be stored in either case in a text column
 * (a uuid or case-insensitive column matches both); a 64-bit integer goes as text, which every driver sends whole.
 */
function childValues(codec: ColumnCodec, value: KeyValue): unknown[] {
  if (codec.kind === 'uuid') return [...new Set([String(value), String(value).toUpperCase()])]
  return [typeof value === 'bigint' ? value.toString() : value]
}

/** Every combination of the columns' values. */
function combinations(columns: unknown[][]): KeyTuple[] {
  return columns.reduce<KeyTuple[]>((tuples, values) => tuples.flatMap((tuple) => values.map((value) => [...tuple, value])), [[]])
}

/** Which of `groups` the parent table holds now, read on `parent` (a fresh read: READ COMMITTED, no lock). */
async function presentIds(join: CrossJoin, parent: Kysely<any>, groups: ChildKeyGroup[]): Promise<Set<string>> {
  if (groups.length === 0) return new Set()
  const found = await parentProbe(join, { db: parent, lock: false }).present(pageOf(groups, join.plan.codecs.length))
  return new Set(groups.flatMap((group, i) => (found[i] ? [keyId(group.key)] : [])))
}

/**
 * The key changes of the batch's rows, each child key as the child holds it: a queued key change moves it to the new
 * key of the parent key it compares equal to.
 */
function rowChanges(
  write: 'update' | 'delete',
  targets: LockedRow[],
  changes: Map<string, KeyChange>,
): Array<{ before: KeyTuple; after: KeyTuple }> {
  const keys = new Map(targets.map((row) => [rawKeyId(row.raw), row]))
  return [...keys.values()].map((row) => ({
    before: row.raw,
    after: write === 'delete' ? row.raw : (changes.get(row.id) as KeyChange).after,
  }))
}

/**
 * One batch of a cross-database job, inside a transaction of the child database (`context`, the child database's
 * engine): reads which of the job's keys the parent database (`parent`) lacks now, locks up to `limit` children
 * holding those keys (FOR UPDATE, identity order), reads the parent again for exactly the locked rows' keys, and
 * applies the relation's action through the engine to the rows whose key is still missing, so the grandchildren
 * get their own relations' actions. A parent re-inserted (or re-keyed to the key) before the second read keeps
 * every child; a child inserted after the rows were locked is not among them. Run again after a crash, the batch
 * finds only what is left: already deleted children are gone, nulled ones no longer hold the key. `after`: the
 * previous batch's last row.
 */
export async function runCrossDatabaseBatch(
  context: EnforcementContext,
  join: CrossJoin,
  write: 'update' | 'delete',
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  parent: Kysely<any>,
  options: { limit: number; after?: unknown[] },
): Promise<CrossDatabaseBatch> {
  const { limit, after } = options
  const { relation, plan } = join
  const codecs = plan.codecs
  const normalize = (raw: KeyTuple) => codecs.map((codec, i) => codec.normalize(raw[i]))
  const byId = new Map<string, KeyChange>()
  for (const change of changes) {
    const key = normalize(change.before)
    byId.set(keyId(key), { ...change, key, id: keyId(key) })
  }
  const groupsOf = (entries: Array<{ raw: KeyTuple; key: KeyValue[] }>) => entries.map(({ raw, key }) => ({ raw, key, rows: 1 }))
  const present = await presentIds(join, parent, groupsOf([...byId.values()].map((change) => ({ raw: change.before, key: change.key }))))
  const absent = [...byId.values()].filter((change) => !present.has(change.id))
  if (absent.length === 0) return { rows: 0, finished: true }

  const identity = identityOf(context, relation)
  const child = columnRefs('c', relation.child.columns)
  const tuples = absent.flatMap((change) => combinations(codecs.map((codec, i) => childValues(codec, change.key[i] as KeyValue))))
  const soft = write === 'delete' && relation.onDelete === 'cascade' ? context.softDelete(relation.child) : undefined
  const pending = andAll([
    childFilter(relation, 'c'),
    keyMatch(context, relation, 'child', child, tuples),
    ...(soft ? [notSoftDeleted(soft, 'c')] : []),
    ...(after ? [compareSql(identity, after, '>', context.runner.family)] : []),
  ])
  const selections = [
    ...identity.map((column, i) => sql`${sql.id('c', column)} as ${sql.id(`i${i}`)}`),
    ...relation.child.columns.map((column, i) => sql`${sql.id('c', column)} as ${sql.id(`k${i}`)}`),
  ]
  const order = sql.join(identity.map((column) => sql.id('c', column)))
  const { rows } = await context.runner.run<Record<string, unknown>>(
    sql`select ${sql.join(selections)} from ${tableSql(relation.child)} as ${sql.id('c')} where ${pending} order by ${order} limit ${sql.lit(limit)} for update`,
  )
  const locked: LockedRow[] = rows.map((row) => {
    const raw = relation.child.columns.map((_, i) => row[`k${i}`])
    return { identity: identity.map((_, i) => row[`i${i}`]), raw, id: keyId(normalize(raw)) }
  })
  // A fresh read, after the lock: a parent that came back in between keeps its children.
  const lockedKeys = new Map(locked.map((row) => [row.id, { raw: row.raw, key: normalize(row.raw) }]))
  const back = await presentIds(join, parent, groupsOf([...lockedKeys.values()]))
  const targets = locked.filter((row) => byId.has(row.id) && !back.has(row.id))
  if (targets.length > 0) {
    const state = newStatementState()
    // As in a same-database job: a queued ON UPDATE CASCADE moves the children to the key their parent took, unchecked.
    if (write === 'update' && relation.onUpdate === 'cascade') state.trusted.add(relation.name)
    await enforceWrite(
      context,
      workerActionSpec(context, relation, write, rowChanges(write, targets, byId), onlyRows(context, relation, identity, targets)),
      state,
    )
  }
  const last = locked[locked.length - 1]?.identity
  return { rows: targets.length, finished: locked.length < limit, ...(last ? { last } : {}) }
}
