import type { Evidence, InferredRelation } from './candidate.js'
import type { InferReport } from './infer.js'

/** Confidence bands of the text report, highest first; the last one ends at the minimum confidence. */
const BANDS = [
  { title: 'High confidence', from: 0.9 },
  { title: 'Likely', from: 0.75 },
  { title: 'Possible', from: 0 },
]

const ENGINE_NAMES: Record<string, string> = { postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB', pglite: 'PGlite' }

/** What changed in the config file with `--write`. */
export interface WriteOutcome {
  file: string
  added: string[]
  alreadyPresent: string[]
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`
}

/** The evidence shown under a candidate: what named it, what the data said, and anything against it. */
function shownEvidence(evidence: readonly Evidence[]): Evidence[] {
  const first = evidence.find((item) => item.signal === 'name' || item.signal === 'polymorphic' || item.signal === 'composite')
  return evidence.filter((item) => item === first || item.signal === 'data' || item.weight < 0)
}

function candidateLines(candidate: InferredRelation): string[] {
  const mark = candidate.configured ? '  (in the config)' : ''
  return [
    `  ${candidate.confidence.toFixed(2)}  ${candidate.child} -> ${candidate.parent}${mark}`,
    ...shownEvidence(candidate.evidence).map((item) => `        ${item.weight < 0 ? '- ' : ''}${item.detail}`),
  ]
}

function band(candidates: InferredRelation[], title: string, from: number, to: number): string[] {
  const members = candidates.filter((candidate) => candidate.confidence >= from && candidate.confidence < to)
  if (members.length === 0) return []
  const range = to > 1 ? `${from.toFixed(2)} and above` : `${from.toFixed(2)} to ${to.toFixed(2)}`
  return ['', `${title} (${range})`, ...members.flatMap(candidateLines)]
}

/** The text report of `refguard infer`: candidates grouped by confidence, with their evidence, and what to do next. */
export function formatInferText(report: InferReport, write?: WriteOutcome): string {
  const accepted = report.candidates.filter((candidate) => candidate.accepted)
  const below = report.candidates.length - accepted.length
  const lines = [
    `Inferred relations in database ${report.database} (${ENGINE_NAMES[report.dialect] ?? report.dialect}; ${plural(report.tables, 'table')}, ${plural(report.columns, 'column')}):`,
    `${plural(accepted.length, 'candidate')} at confidence ${report.minConfidence.toFixed(2)} or more${below > 0 ? `, ${below} below` : ''}.`,
  ]
  if (report.tables === 0) lines.push('', 'There are no tables to look at: the database (or the schemas named) is empty.')
  if (report.declared > 0)
    lines.push(`${plural(report.declared, 'foreign key')} the database declares ${report.declared === 1 ? 'is' : 'are'} not listed.`)
  let to = Number.POSITIVE_INFINITY
  for (const { title, from } of BANDS) {
    const start = Math.max(from, report.minConfidence)
    if (start >= to) continue
    lines.push(...band(accepted, title, start, to))
    to = start
  }
  if (below > 0) {
    lines.push(
      '',
      `${plural(below, 'more candidate')} below ${report.minConfidence.toFixed(2)}: --min-confidence 0 lists them, --json shows them with all their evidence.`,
    )
  }
  if (report.unresolved.length > 0) {
    lines.push('', 'Named like references, but no table fits:')
    for (const miss of report.unresolved) lines.push(`  ${miss.column}: ${miss.reason}`)
  }
  const q = report.queries
  const statements = q.catalog + q.typeValues + q.parentStats + q.samples + q.exact
  lines.push(
    '',
    `${plural(statements, 'statement')} after introspection (${plural(q.samples, 'sample')}, ${plural(q.exact, 'full read')} of child tables, ${q.parentStats} on parents) in ${(report.ms / 1000).toFixed(1)} s.`,
  )
  const addable = accepted.filter((candidate) => !candidate.configured)
  if (write) {
    lines.push(
      write.added.length > 0 ? `Added ${plural(write.added.length, 'relation')} to ${write.file}.` : `Added nothing to ${write.file}.`,
    )
    if (write.alreadyPresent.length > 0)
      lines.push(`${plural(write.alreadyPresent.length, 'relation')} ${write.alreadyPresent.length === 1 ? 'was' : 'were'} already there.`)
  } else if (addable.length > 0) {
    lines.push(`Run again with --write to add the ${plural(addable.length, 'accepted relation')} to the config file.`)
  }
  return lines.join('\n')
}
