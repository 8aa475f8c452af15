import type { ReferentialAction, Relation } from '../model/relation.js'
import { writeJobs } from '../queue/outbox.js'
import type { EnforcementContext, QueuedAction, StatementState } from './context.js'
import { UnguardedWriteError } from './errors.js'
import { keyId } from './keys.js'

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
