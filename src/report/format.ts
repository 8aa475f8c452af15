import type { RelationResult } from '../audit/report.js'

/** A count as people read it: `12,345`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/** A share (0..1) as a percentage that never rounds a non-zero share down to `0%`. */
export function formatShare(share: number): string {
  if (share === 0) return '0%'
  const percent = 100 * share
  if (percent < 0.01) return '<0.01%'
  return `${percent.toFixed(percent < 1 ? 2 : 1)}%`
}

/** `1 error`, `2 errors`. */
export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`
}

/** A sampled key value as SQL would show it: NULL, numbers and strings as they are, bytes in hex, anything else as JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`
  if (typeof value === 'object')
    return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner))
  return String(value)
}

/** A relation's orphan count as reports show it: `≥ 12` when the count stopped early, `not counted` when skipped. */
export function formatOrphans(relation: RelationResult): string {
  if (relation.scan.mode === 'skipped') return 'not counted'
  return `${relation.complete ? '' : '≥ '}${formatCount(relation.orphans)}`
}
