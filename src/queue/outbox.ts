import { sql } from 'kysely'
import type { QueuedAction } from '../enforce/context.js'
import { chunks, keyId } from '../enforce/keys.js'
import type { Runner } from '../enforce/runner.js'
import { encodeKeys, KEYS_PER_JOB } from './job.js'
import { JOBS_TABLE } from './tables.js'
import { now } from './time.js'

/** One action per relation and kind of write, each parent key once, in the order they came. */
function merge(actions: QueuedAction[]): QueuedAction[] {
  const merged = new Map<string, { action: QueuedAction; seen: Set<string> }>()
  for (const action of actions) {
    const id = `${action.write}\u0000${action.relation.name}`
    let entry = merged.get(id)
    if (!entry) {
      entry = { action: { ...action, changes: [] }, seen: new Set() }
      merged.set(id, entry)
    }
    for (const change of action.changes) {
      const key = keyId(change.before)
      if (entry.seen.has(key)) continue
      entry.seen.add(key)
      entry.action.changes.push(change)
    }
  }
  return [...merged.values()].map((entry) => entry.action)
}

/**
 * Writes the statement's queued actions to refguard_jobs on the statement's own connection, inside its
 * transaction: the jobs commit or roll back with the parent change (the transactional outbox).
 * At most KEYS_PER_JOB parent keys per job. `parentJobId`: the job whose batch made these changes.
 */
export async function writeJobs(runner: Runner, actions: QueuedAction[], parentJobId: string | undefined): Promise<void> {
  const rows = merge(actions).flatMap((action) =>
    chunks(action.changes, KEYS_PER_JOB).map(
      (changes) =>
        sql`(${action.relation.name}, ${action.write}, ${encodeKeys(action.write, changes)}, 'pending', ${now(runner.family)}, ${now(runner.family)}, ${parentJobId ?? null})`,
    ),
  )
  for (const batch of chunks(rows, 100)) {
    await runner.run(
      sql`insert into ${sql.id(JOBS_TABLE)} (relation, action, parent_keys, state, run_after, created_at, parent_job_id) values ${sql.join(batch)}`,
    )
  }
}
