import type { KeyTuple } from '../enforce/keys.js'

/** What happened to the parent keys of a job: deleted, or changed (re-keyed). */
export type JobAction = 'delete' | 'update'

/** A job's life: pending (waiting, or waiting to be retried), running (claimed under a lease), done, or dead (given up). */
export type JobState = 'pending' | 'running' | 'done' | 'dead'

/** One parent key a job acts for: its value before the write and, for an update, after it. */
export interface KeyChange {
  before: KeyTuple
  after: KeyTuple
}

/** A claimed job, as a worker runs it. */
export interface Job {
  id: string
  relation: string
  action: JobAction
  changes: KeyChange[]
  /** Failed attempts so far. */
  attempts: number
  parentJobId: string | null
}

/** The most parent keys one job carries: a statement that removes more writes several jobs. */
export const KEYS_PER_JOB = 1000

/**
 * A key value as JSON. Numbers, strings, booleans and NULL are themselves; what JSON has no type for is
 * tagged, so the worker gets back the value the driver gave: dates, bytes, 64-bit integers.
 */
function encodeValue(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return { $bigint: value.toString() }
  if (value instanceof Date) return { $date: value.toISOString() }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') }
  if (typeof value === 'object') return { $json: value }
  return value
}

function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  const tagged = value as { $bigint?: string; $date?: string; $bytes?: string; $json?: unknown }
  if (tagged.$bigint !== undefined) return BigInt(tagged.$bigint)
  if (tagged.$date !== undefined) return new Date(tagged.$date)
  if (tagged.$bytes !== undefined) return Buffer.from(tagged.$bytes, 'base64')
  return tagged.$json
}

/** The `parent_keys` text of a job: `{"before": [[...], ...]}`, plus `"after"` for an update. */
export function encodeKeys(action: JobAction, changes: KeyChange[]): string {
  const tuples = (pick: (change: KeyChange) => KeyTuple) => changes.map((change) => pick(change).map(encodeValue))
  return JSON.stringify(
    action === 'update'
      ? { before: tuples((change) => change.before), after: tuples((change) => change.after) }
      : { before: tuples((change) => change.before) },
  )
}

/** The key changes of a job's `parent_keys` text. */
export function decodeKeys(text: string): KeyChange[] {
  const parsed = JSON.parse(text) as { before: unknown[][]; after?: unknown[][] }
  return parsed.before.map((tuple, i) => {
    const before = tuple.map(decodeValue)
    return { before, after: parsed.after?.[i]?.map(decodeValue) ?? before }
  })
}
