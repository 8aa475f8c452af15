import type { ReferentialAction, Relation } from '../model/relation.js'
import { writeJobs } from '../queue/outbox.js'
import type { EnforcementContext, QueuedAction, StatementState } from './context.js'
import { cascadeDelete, cascadeUpdate, setChildren } from './actions.js'
import { UnguardedWriteError } from './errors.js'
import { type KeyTuple, keyId } from './keys.js'
import type { Sql } from './sql-parts.js'
import type { WriteSpec } from './write-spec.js'

/** The actions a worker can apply later; RESTRICT and NO ACTION are checks, and a check cannot wait. */
const QUEUEABLE: ReadonlySet<ReferentialAction> = new Set(['cascade', 'set null', 'set default'])

/** Whether an action can run through the outbox (CASCADE, SET NULL, SET DEFAULT). */
export function isQueueable(action: ReferentialAction): boolean {
  return QUEUEABLE.has(action)
}

/** Whether a relation's action for this kind of write goes to the outbox instead of running in the statement. */
export function queuesAction(relation: Relation, write: 'update' | 'delete'): boolean {
  return relation.mode === 'queued' && isQueueable(write === 'delete' ? relation.onDelete : relation.onUpdate)
}

/**
 * A parent delete or key change whose relation has its children in another database: a queued CASCADE, SET NULL or
 * SET DEFAULT reaches them through this database's outbox and a worker; anything else would have to read or change
 * the other database inside this transaction, which refguard does not do, so the statement is refused.
 */
export function refuseAcrossDatabases(relation: Relation, write: 'update' | 'delete'): void {
  if (relation.child.database === relation.parent.database || queuesAction(relation, write)) return
  const action = write === 'delete' ? relation.onDelete : relation.onUpdate
  const change = write === 'delete' ? 'deleting' : 'changing the key of'
  const where = `its children are in database "${relation.child.database}"`
  if (action === 'restrict' || action === 'no action') {
    throw new UnguardedWriteError(
      `relation "${relation.name}": ${change} a row of ${relation.parent.table} needs its ON ${write.toUpperCase()} ${action.toUpperCase()} check, and ${where}: a check cannot wait for a worker, and refguard does not check another database inside this transaction; remove the children first (through a guard on "${relation.child.database}"), or give the relation mode "queued" with ON ${write.toUpperCase()} CASCADE, SET NULL or SET DEFAULT`,
    )
  }
  throw new UnguardedWriteError(
    `relation "${relation.name}": ${change} a row of ${relation.parent.table} needs its ON ${write.toUpperCase()} ${action.toUpperCase()}, and ${where}, which an inline action cannot reach; give the relation mode "queued" (the job is written here, in the same transaction, and a worker acts in "${relation.child.database}")`,
  )
}

/**
 * A queued ON UPDATE that moves a key onto a key the same statement moves away (1 -> 2 and 2 -> 3, or a
 * swap) cannot be applied key by key later: the worker could not tell the children that arrived at 2 from
 * those that were there. Refused, as a statement refguard cannot enforce.
 */
function refuseKeyChains(action: QueuedAction): void {
  if (action.write !== 'update') return
  const before = new Set(action.changes.map((change) => keyId(change.before)))
  const chained = action.changes.find((change) => before.has(keyId(change.after)))
  if (!chained) return
  throw new UnguardedWriteError(
    `relation "${action.relation.name}" is queued, and this update moves a key of ${action.relation.parent.table} onto (${chained.after.map(String).join(', ')}), which the same statement also moves away: a worker applies queued key changes one key at a time and could not tell whose children are whose; change the keys in statements that do not reuse a key, or make the relation inline`,
  )
}

/** Writes the statement's queued actions to refguard_jobs, in its transaction (the transactional outbox). */
export async function flushOutbox(context: EnforcementContext, state: StatementState): Promise<void> {
  if (state.outbox.length === 0) return
  const byRelation = new Map<string, QueuedAction>()
  for (const action of state.outbox) {
    const id = `${action.write}\u0000${action.relation.name}`
    const merged = byRelation.get(id)
    byRelation.set(id, merged ? { ...merged, changes: [...merged.changes, ...action.changes] } : action)
  }
  for (const action of byRelation.values()) refuseKeyChains(action)
  const actions = state.outbox
  state.outbox = []
  await writeJobs(context.runner, actions, context.job)
}

/** The write a worker makes to apply the relation's action to the rows `only` selects, as the inline action would build it. */
export function workerActionSpec(
  context: EnforcementContext,
  relation: Relation,
  write: 'update' | 'delete',
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  only: Sql,
): WriteSpec {
  const action = write === 'delete' ? relation.onDelete : relation.onUpdate
  const keys = changes.map((change) => change.before)
  if (action === 'cascade')
    return write === 'delete' ? cascadeDelete(context, relation, keys, only) : cascadeUpdate(context, relation, changes, only)
  if (action === 'set null' || action === 'set default')
    return setChildren(context, relation, keys, action === 'set null' ? 'null' : 'default', write, only)
  throw new UnguardedWriteError(
    `relation "${relation.name}" has ON ${write.toUpperCase()} ${action.toUpperCase()}, which a worker cannot apply`,
  )
}
