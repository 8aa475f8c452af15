import type { CheckReport, RelationResult } from '../audit/report.js'
import { formatCount, plural } from './format.js'

/** `clean`: nothing found; `passed`/`failed`: findings, below or at `--fail-on`; `incomplete`: some relation was not fully counted. */
export type VerdictStatus = 'clean' | 'passed' | 'failed' | 'incomplete'

/** The one-line summary of a check report. */
export interface Verdict {
  status: VerdictStatus
  errors: number
  warnings: number
  /** Findings the baseline already knew. */
  known: number
  orphans: number
  /** `clean`, `2 errors, 1 warning` or `INCOMPLETE: 2 errors, 1 warning`. */
  headline: string
  /** What the headline does not say: orphan totals, lower bounds, baseline. */
  detail: string
}

function notFullyCounted(relation: RelationResult): boolean {
  return !relation.complete || relation.scan.mode === 'skipped'
}

/** Sums up a check report: never `clean` unless every relation was fully counted and nothing was found. */
export function checkVerdict(report: CheckReport): Verdict {
  const errors = report.findings.filter((finding) => finding.severity === 'error').length
  const warnings = report.findings.length - errors
  const known = report.findings.filter((finding) => finding.baseline).length
  const orphans = report.relations.reduce((sum, relation) => sum + relation.orphans, 0)
  const broken = report.relations.filter((relation) => relation.orphans > 0).length
  const partial = report.relations.filter(notFullyCounted).length
  const incomplete = !report.complete || partial > 0
  const clean = !incomplete && report.findings.length === 0 && orphans === 0
  const status: VerdictStatus = incomplete ? 'incomplete' : clean ? 'clean' : report.ok ? 'passed' : 'failed'
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`
  const headline = clean ? 'clean' : incomplete ? `INCOMPLETE: ${counts}` : counts
  const details = [
    orphans > 0
      ? `${incomplete ? `${formatCount(orphans)} or more orphaned rows` : plural(orphans, 'orphaned row')} in ${broken} of ${plural(report.relations.length, 'relation')}`
      : `${plural(report.relations.length, 'relation')} checked, no orphans${incomplete ? ' found so far' : ''}`,
  ]
  if (incomplete) details.push(`${partial || 'some'} not fully counted, so counts are lower bounds`)
  if (known > 0) details.push(`${known} known from the baseline`)
  return { status, errors, warnings, known, orphans, headline, detail: details.join('; ') }
}
