import type { Finding, Severity } from '../audit/finding.js'
import type { CheckReport, RelationResult } from '../audit/report.js'
import { escapeMarkdown, markdownCode, markdownFence } from './escape.js'
import { fixSteps } from './fix-steps.js'
import { formatCount, formatOrphans, formatShare, formatValue, plural } from './format.js'
import { looksLikeSql } from './looks-like-sql.js'
import { checkVerdict, type VerdictStatus } from './verdict.js'

const STATUS_MARKS: Record<VerdictStatus, string> = { clean: '✅', passed: '✅', failed: '❌', incomplete: '⚠️' }

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`
}

function scanCell(relation: RelationResult): string {
  const mode = relation.scan.mode === 'chunked' ? `chunked (${plural(relation.scan.chunks, 'chunk')})` : relation.scan.mode
  const state = relation.complete ? '' : ', incomplete'
  return escapeMarkdown(`${mode}${state}${relation.scan.note ? `: ${relation.scan.note}` : ''}`)
}

function relationTable(relations: RelationResult[]): string[] {
  const header = ['Relation', 'Child -> Parent', 'Rows', 'Orphans', 'Share', 'Level', 'Scan']
  return [
    row(header),
    row(['---', '---', '---:', '---:', '---:', '---:', '---']),
    ...relations.map((relation) =>
      row([
        escapeMarkdown(relation.name),
        `${escapeMarkdown(relation.child)} -> ${escapeMarkdown(relation.parent)}`,
        relation.scan.mode === 'skipped' ? '–' : formatCount(relation.rowsChecked),
        formatOrphans(relation),
        relation.scan.mode === 'skipped' ? '–' : formatShare(relation.share),
        String(relation.level),
        scanCell(relation),
      ]),
    ),
  ]
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n')
}

function findingItem(finding: Finding): string {
  const about = finding.relation === undefined ? '' : ` in ${markdownCode(finding.relation)}`
  const known = finding.baseline ? ' _(in the baseline)_' : ''
  const head = `- **${escapeMarkdown(finding.kind)}**${about}${known}: ${escapeMarkdown(finding.message)}`
  if (looksLikeSql(finding.fix)) return `${head}\n\n${indent(markdownFence(finding.fix, 'sql'))}\n`
  return `${head}\n\n  Fix: ${escapeMarkdown(finding.fix)}\n`
}

function findingSection(findings: Finding[], severity: Severity, title: string): string[] {
  const group = findings.filter((finding) => finding.severity === severity)
  if (group.length === 0) return []
  return [`#### ${title} (${group.length})`, '', ...group.map(findingItem)]
}

function sampleItem(relation: RelationResult): string {
  const columns = [...new Set(relation.samples.flatMap((sample) => Object.keys(sample)))]
  const keys = relation.samples.map((sample) => {
    const values = columns.map((column) => formatValue(sample[column]))
    return values.length === 1 ? (values[0] as string) : `(${values.join(', ')})`
  })
  const shown = relation.samples.length < relation.orphans ? ` (${relation.samples.length} of ${formatCount(relation.orphans)})` : ''
  return `- ${markdownCode(relation.name)} ${escapeMarkdown(`(${columns.join(', ')})`)}${shown}: ${keys.map((key) => markdownCode(key)).join(', ')}`
}

function fixOrderSection(report: CheckReport): string[] {
  const steps = fixSteps(report)
  if (steps.length === 0) return []
  const items = steps.map((step, i) => {
    const counted = step.relation === undefined ? '' : `level ${step.relation.level}, ${plural(step.relation.orphans, 'orphan')}`
    const effects = step.downstream.map((effect) => `${plural(effect.rows, 'row')} of ${markdownCode(effect.relation)}`)
    const then = effects.length > 0 ? `; deleting them orphans ${effects.join(', ')}` : ''
    return `${i + 1}. ${markdownCode(step.name)}${counted ? ` — ${counted}` : ''}${then}`
  })
  return ['#### Fix order', '', 'Repair level by level, parents first:', '', ...items, '']
}

/** The check report as a pull-request comment: verdict, relation table, findings with fixes, sample keys, fix order. */
export function formatCheckMarkdown(report: CheckReport): string {
  const verdict = checkVerdict(report)
  const lines = [`${STATUS_MARKS[verdict.status]} **refguard check: ${verdict.headline}** — ${escapeMarkdown(verdict.detail)}`, '']
  if (report.relations.length > 0) lines.push(...relationTable(report.relations), '')
  lines.push(...findingSection(report.findings, 'error', 'Errors'), ...findingSection(report.findings, 'warning', 'Warnings'))
  const sampled = report.relations.filter((relation) => relation.samples.length > 0)
  if (sampled.length > 0) lines.push('#### Sample orphan keys', '', ...sampled.map(sampleItem), '')
  lines.push(...fixOrderSection(report))
  return `${lines.join('\n').trimEnd()}\n`
}
