import { type Kysely, type RawBuilder, sql } from 'kysely'
import { type CheckSummary, readLastCheck } from '../audit/check-log.js'
import type { Guard } from '../enforce/guard.js'
import { engineOf } from '../enforce/own-transaction.js'
import type { Relation } from '../model/relation.js'
import { JOBS_TABLE } from './tables.js'
import { nowPlus, secondsSince } from './time.js'

/** The queue of one relation. */
export interface RelationQueueStatus {
  relation: string
  /** Whether the relation is in the configuration (jobs of a removed relation die when a worker claims them). */
  configured: boolean
  pending: number
  running: number
  /** Pending jobs that have failed at least once and wait for their next attempt. */
  failed: number
  dead: number
  /** Jobs done in the last minute: the throughput. */
  doneLastMinute: number
  /** Age of the oldest job not done yet (pending or running), in seconds; null when there is none. */
  oldestPendingSeconds: number | null
}

/** A dead-lettered job, with the error that killed it. */
export interface DeadJob {
  id: string
  relation: string
  action: string
  attempts: number
  error: string | null
}

/** What `refguard status --json` prints; `ok` is false when a job is dead. */
export interface QueueStatus {
  ok: boolean
  relations: RelationQueueStatus[]
  totals: Omit<RelationQueueStatus, 'relation' | 'configured'>
  /** The most recent dead jobs, newest first (at most 20). */
  deadJobs: DeadJob[]
  /** The newest `refguard check` recorded in `refguard_checks`; null when none is (or the table does not exist). */
  lastCheck: CheckSummary | null
}

const DEAD_SHOWN = 20

/** Reads the queue per relation (every queued relation of the config, and every relation that has jobs) and the last check. */
export async function readQueueStatus(db: Kysely<any>, family: 'postgres' | 'mysql', relations: readonly Relation[]): Promise<QueueStatus> {
  const count = (condition: RawBuilder<unknown>) => sql`sum(case when ${condition} then 1 else 0 end)`
  // Done jobs accumulate; only the last minute's are read.
  const { rows } = await sql<Record<string, unknown>>`select relation,
      ${count(sql`state = 'pending'`)} as pending,
      ${count(sql`state = 'running'`)} as running,
      ${count(sql`state = 'pending' and attempts > 0`)} as failed,
      ${count(sql`state = 'dead'`)} as dead,
      ${count(sql`state = 'done'`)} as done_last_minute,
      ${secondsSince(family, sql`min(case when state in ('pending', 'running') then created_at end)`)} as oldest
    from ${sql.id(JOBS_TABLE)}
    where state <> 'done' or done_at >= ${nowPlus(family, -60_000)}
    group by relation`.execute(db)
  const configured = new Set(relations.map((relation) => relation.name))
  const byName = new Map(rows.map((row) => [String(row.relation), row]))
  const names = [
    ...new Set([...relations.filter((relation) => relation.mode === 'queued').map((relation) => relation.name), ...byName.keys()]),
  ]
  const list = names.map((name): RelationQueueStatus => {
    const row = byName.get(name)
    const number = (column: string) => Number(row?.[column] ?? 0)
    return {
      relation: name,
      configured: configured.has(name),
      pending: number('pending'),
      running: number('running'),
      failed: number('failed'),
      dead: number('dead'),
      doneLastMinute: number('done_last_minute'),
      oldestPendingSeconds: row?.oldest === null || row?.oldest === undefined ? null : Math.round(Number(row.oldest) * 10) / 10,
    }
  })
  const ages = list.map((entry) => entry.oldestPendingSeconds).filter((age): age is number => age !== null)
  const sum = (pick: (entry: RelationQueueStatus) => number) => list.reduce((total, entry) => total + pick(entry), 0)
  const totals = {
    pending: sum((entry) => entry.pending),
    running: sum((entry) => entry.running),
    failed: sum((entry) => entry.failed),
    dead: sum((entry) => entry.dead),
    doneLastMinute: sum((entry) => entry.doneLastMinute),
    oldestPendingSeconds: ages.length > 0 ? Math.max(...ages) : null,
  }
  const dead = await sql<Record<string, unknown>>`select id, relation, action, attempts, last_error from ${sql.id(JOBS_TABLE)}
    where state = 'dead' order by done_at desc, id desc limit ${sql.lit(DEAD_SHOWN)}`.execute(db)
  return {
    ok: totals.dead === 0,
    relations: list,
    totals,
    deadJobs: dead.rows.map((row) => ({
      id: String(row.id),
      relation: String(row.relation),
      action: String(row.action),
      attempts: Number(row.attempts),
      error: row.last_error === null || row.last_error === undefined ? null : String(row.last_error),
    })),
    lastCheck: await readLastCheck(db, family),
  }
}

/** The queue of a guard's database: the same object as `refguard status --json`. */
export function queueStatus(guard: Guard): Promise<QueueStatus> {
  const engine = engineOf(guard)
  return readQueueStatus(engine.db, engine.family, guard.relations)
}
