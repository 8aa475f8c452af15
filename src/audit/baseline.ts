import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'
import type { Finding, Severity } from './finding.js'

/** What identifies a finding across runs: its kind, relation, column and sentinel value, never its wording. */
function identity(finding: Pick<Finding, 'kind' | 'relation' | 'column' | 'value'>): string {
  return JSON.stringify([finding.kind, finding.relation ?? null, finding.column ?? null, finding.value ?? null])
}

/** Reads the findings of an earlier `refguard check --json` output. */
export function loadBaseline(file: string): Finding[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(
      `cannot read --baseline file ${file}: ${(error as Error).message}`,
      'pass the path of a file written by `refguard check --json`',
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`--baseline file ${file} is not JSON: ${(error as Error).message}`, 'write it with `refguard check --json > FILE`')
  }
  const findings = (parsed as { findings?: unknown })?.findings
  if (!Array.isArray(findings) || findings.some((finding) => typeof finding?.kind !== 'string')) {
    throw new UsageError(`--baseline file ${file} has no "findings" list`, 'write it with `refguard check --json > FILE`')
  }
  return findings as Finding[]
}

/** Marks the findings a baseline already had, unless their count grew since: those still fail the run. */
export function markBaseline(findings: Finding[], baseline: Finding[]): Finding[] {
  const known = new Map(baseline.map((finding) => [identity(finding), finding.count]))
  return findings.map((finding) => {
    if (!known.has(identity(finding))) return finding
    const before = known.get(identity(finding))
    const grew = finding.count !== undefined && before !== undefined && finding.count > before
    return grew ? finding : { ...finding, baseline: true }
  })
}

/** Whether the findings fail a run that fails on `failOn` (errors only, or warnings too); baseline findings never do. */
export function failsOn(findings: Finding[], failOn: Severity): boolean {
  return findings.some((finding) => !finding.baseline && (failOn === 'warning' || finding.severity === 'error'))
}
