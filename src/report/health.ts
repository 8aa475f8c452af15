import type { Finding } from '../audit/finding.js'
import type { RelationResult } from '../audit/report.js'

/** How a relation looks in a report: `error` orphans or an error finding, `warning` warnings only, `unknown` not fully counted. */
export type Health = 'ok' | 'error' | 'warning' | 'unknown'

/** Colours of the health states, readable on white. */
export const HEALTH_COLOURS: Record<Health, string> = {
  ok: '#2e7d32',
  error: '#c62828',
  warning: '#b86e00',
  unknown: '#8a8f98',
}

/** Words for the health states, for legends and tooltips. */
export const HEALTH_LABELS: Record<Health, string> = {
  ok: 'no orphans, no findings',
  error: 'orphans or errors',
  warning: 'warnings only',
  unknown: 'not fully counted',
}

/** The health of one relation; orphans found and error findings are certain even in a partial count, so they win over `unknown`. */
export function relationHealth(relation: RelationResult, findings: Finding[]): Health {
  const own = findings.filter((finding) => finding.relation === relation.name)
  if (relation.orphans > 0 || own.some((finding) => finding.severity === 'error')) return 'error'
  if (!relation.complete || relation.scan.mode === 'skipped') return 'unknown'
  return own.length > 0 ? 'warning' : 'ok'
}
