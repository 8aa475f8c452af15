import type { Candidate, Coverage, Evidence, ParentStats } from './candidate.js'
import { childKey, logOdds } from './candidate.js'
import { isIntegerColumn } from './type-compatibility.js'

/** Orphans a relation may have before they count against it: legacy data without constraints has some. */
export const ORPHAN_TOLERANCE = 0.05
/** z for 99% confidence bounds on the orphan share. */
const Z = 2.576
/** Log-odds lost per unit of orphan share beyond the tolerance (20% surely orphaned costs about 3). */
const ORPHAN_PENALTY = 20
const MAX_ORPHAN_PENALTY = 8
/** Orphan share the upper bound must stay under for the data to speak for the relation. */
const SUPPORT_BELOW = 0.2
/** Values that all sit in the parent: some support; more when chance could not have done it. */
const BASE_SUPPORT = 0.5
const INFORMATIVE_SUPPORT = 1.0
/** Values only 0 and 1: a flag that happens to match keys 0/1 or 1. */
const FLAG_PENALTY = -1.5
/** A column references one table: candidates beaten by another for the same column fall back by this much. */
const LOSER_PENALTY = -4
/** Candidates of one column within this margin are ambiguous: the best is less sure, the others fall back less far. */
const AMBIGUOUS_MARGIN = 0.5
const AMBIGUOUS_BEST_PENALTY = -0.5
const AMBIGUOUS_LOSER_PENALTY = -2.5

/** The Wilson score interval of a share x/n. */
function wilson(x: number, n: number): { low: number; high: number } {
  const share = x / n
  const z2 = Z * Z
  const center = (share + z2 / (2 * n)) / (1 + z2 / n)
  const half = (Z * Math.sqrt((share * (1 - share)) / n + z2 / (4 * n * n))) / (1 + z2 / n)
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) }
}

function percent(share: number): string {
  const value = share * 100
  return `${value >= 99.95 || value < 0.05 ? value.toFixed(0) : value.toFixed(1)}%`
}

/** Weights are shown to two decimals; they are rounded so, as they add up to the confidence. */
function rounded(weight: number): number {
  return Math.round(weight * 100) / 100
}

function count(n: number): string {
  return n.toLocaleString('en-US')
}

/**
 * How much a parent matching the child's values says: little when the parent's whole-number keys fill their range
 * (any small number would match), more when the keys are sparse or strings, and more when the child references most
 * of the parent's keys across most of its range (a lookup table the column really uses).
 */
function informativeness(candidate: Candidate, coverage: Coverage, stats: ParentStats | undefined): { value: number; why: string } {
  const child = candidate.child.columns[0]
  if (candidate.child.columns.length > 1 || !child || !isIntegerColumn(child)) {
    return { value: 1, why: 'keys of this kind do not match by chance' }
  }
  const parentRows = stats?.rows ?? 0
  const range = stats?.min !== undefined && stats.max !== undefined ? stats.max - stats.min + 1 : undefined
  const sparsity = range && range > 0 ? Math.max(0, 1 - parentRows / range) : 0
  const usage = parentRows > 0 && coverage.referenced !== undefined ? Math.min(1, coverage.referenced / parentRows) : 0
  let rangeFit = 0
  if (
    range &&
    coverage.matchedMin !== undefined &&
    coverage.matchedMax !== undefined &&
    stats?.min !== undefined &&
    stats.max !== undefined
  ) {
    const overlap = coverage.matchedMax - coverage.matchedMin + 1
    rangeFit = Math.max(0, Math.min(1, overlap / range))
  }
  const used = usage * rangeFit
  if (sparsity >= used) return { value: sparsity, why: `the parent's keys fill ${percent(1 - sparsity)} of their range` }
  return {
    value: used,
    why: `they use ${percent(usage)} of the parent's ${count(parentRows)} keys, across ${percent(rangeFit)} of their range`,
  }
}

/** What the child's values say about a candidate: against it for many orphans or a 0/1 flag, for it when nearly all match. */
export function dataEvidence(candidate: Candidate): Evidence[] {
  const coverage = candidate.coverage
  if (!coverage) return []
  const evidence: Evidence[] = []
  const how = coverage.method === 'sample' ? 'sampled ' : ''
  const checked = coverage.rows - coverage.sentinels
  if (coverage.sentinels > 0) {
    evidence.push({
      signal: 'data',
      detail: `${count(coverage.sentinels)} ${how}rows hold 0 or '' where NULL was meant (refguard check reports them): left out`,
      weight: 0,
    })
  }
  if (checked <= 0) {
    evidence.push({ signal: 'data', detail: `no ${how}child row has a value: judged by names and types alone`, weight: 0 })
    return evidence
  }
  if (coverage.childMin === 0 && coverage.childMax === 1) {
    evidence.push({ signal: 'data', detail: 'the values are only 0 and 1: a flag rather than a reference', weight: FLAG_PENALTY })
  }
  const orphans = checked - coverage.matched
  const share = coverage.matched / checked
  const bounds = wilson(orphans, checked)
  const found = `${percent(share)} of ${count(checked)} ${how}values found in ${candidate.parent.table.name}`
  if (bounds.low > ORPHAN_TOLERANCE) {
    const weight = -rounded(Math.min(MAX_ORPHAN_PENALTY, (bounds.low - ORPHAN_TOLERANCE) * ORPHAN_PENALTY))
    evidence.push({
      signal: 'data',
      detail: `${found}: more orphans (${count(orphans)}) than a relation with a few stray rows has`,
      weight,
    })
  } else if (bounds.high > SUPPORT_BELOW) {
    evidence.push({ signal: 'data', detail: `${found}: too few values to tell`, weight: 0 })
  } else if (coverage.referenced !== undefined && coverage.referenced <= 2) {
    evidence.push({
      signal: 'data',
      detail: `${found}, but they are only ${coverage.referenced === 1 ? 'one key' : `${coverage.referenced} distinct keys`}, which proves little`,
      weight: 0,
    })
  } else {
    const info = informativeness(candidate, coverage, candidate.parentStats)
    const orphanNote = orphans > 0 ? ` (${count(orphans)} orphans)` : ''
    evidence.push({
      signal: 'data',
      detail: `${found}${orphanNote}; ${info.why}`,
      weight: rounded(BASE_SUPPORT + INFORMATIVE_SUPPORT * info.value),
    })
  }
  return evidence
}

/**
 * A column references one table (a polymorphic pair aside, whose filters set its candidates apart): of the
 * candidates for the same child columns, the best keeps its standing and the others fall back, and when the best
 * two are close, neither is sure.
 */
export function competitionEvidence(candidates: readonly Candidate[], evidence: Map<Candidate, Evidence[]>): void {
  const groups = new Map<string, Candidate[]>()
  for (const candidate of candidates) {
    const group = groups.get(childKey(candidate.child))
    if (group) group.push(candidate)
    else groups.set(childKey(candidate.child), [candidate])
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue
    const scored = group
      .map((candidate) => ({ candidate, logit: logOdds(evidence.get(candidate) ?? []) }))
      .sort((a, b) => b.logit - a.logit)
    const [best, second] = scored as [(typeof scored)[number], (typeof scored)[number]]
    const close = (entry: (typeof scored)[number]) => best.logit - entry.logit < AMBIGUOUS_MARGIN
    if (close(second)) {
      evidence.get(best.candidate)?.push({
        signal: 'competition',
        detail: `${second.candidate.parent.table.name} fits nearly as well: check which table the column references`,
        weight: AMBIGUOUS_BEST_PENALTY,
      })
    }
    for (const entry of scored.slice(1)) {
      evidence.get(entry.candidate)?.push({
        signal: 'competition',
        detail: `${best.candidate.parent.table.name} fits the column ${close(entry) ? 'a little ' : ''}better, and a column references one table`,
        weight: close(entry) ? AMBIGUOUS_LOSER_PENALTY : LOSER_PENALTY,
      })
    }
  }
}
