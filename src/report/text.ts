import pc from 'picocolors'
import type { Finding } from '../audit/finding.js'
import { percent } from '../audit/findings/orphans.js'
import type { CheckReport, RelationResult } from '../audit/report.js'
import { formatTable } from './table.js'
import { truncate, visibleLength, wrap } from './wrap.js'

/** Reports fit a 100-column terminal unless told otherwise. */
const WIDTH = 100

const count = (n: number) => n.toLocaleString('en-US')

function formatSample(sample: Record<string, unknown>): string {
  const values = Object.values(sample).map((value) => (value === null ? 'NULL' : String(value)))
  return values.length === 1 ? (values[0] as string) : `(${values.join(', ')})`
}

function shareText(relation: RelationResult): string {
  return relation.orphans === 0 ? '' : percent(relation.orphans, relation.rowsChecked)
}

/** Widths of the name and child -> parent columns within what the numeric columns leave of 100: names first, they are what --relation takes. */
function textWidths(names: string[], numericWidth: number, width: number): [number, number] {
  const room = width - numericWidth
  const name = Math.min(Math.max(8, ...names.map((text) => text.length)), room - 20)
  return [name, Math.max(15, room - name)]
}

function relationTable(report: CheckReport, width: number): string {
  const numbers = report.relations.map((relation) => [
    count(relation.rowsChecked) + (relation.complete ? '' : '+'),
    relation.orphans > 0 ? pc.red(count(relation.orphans)) : pc.green('0'),
    shareText(relation),
    `${relation.ms} ms`,
  ])
  const headers = ['rows', 'orphans', 'share', 'time']
  const numericWidth = headers.reduce(
    (sum, header, i) => sum + 2 + Math.max(header.length, ...numbers.map((row) => visibleLength(row[i] ?? ''))),
    4,
  )
  const sides = report.relations.map((relation) => `${relation.child} -> ${relation.parent}`)
  const [nameWidth, sideWidth] = textWidths(
    report.relations.map((relation) => relation.name),
    numericWidth,
    width,
  )
  const rows = report.relations.map((relation, i) => [
    truncate(relation.name, nameWidth),
    truncate(sides[i] as string, sideWidth),
    ...(numbers[i] as string[]),
  ])
  return formatTable(['relation', 'child -> parent', ...headers], rows, [false, false, true, true, true, true])
}

function formatFinding(finding: Finding, width: number): string[] {
  const label = finding.severity === 'error' ? pc.red('error  ') : pc.yellow('warning')
  const known = finding.baseline ? pc.dim(' (in baseline)') : ''
  const head = wrap(`[${finding.kind}] ${finding.message}`, width - 10, 10)
  const fix = finding.fix
    .split('\n')
    .flatMap((line, i) => wrap(line, width - 15, 2).map((part, j) => `${i === 0 && j === 0 ? 'fix: ' : '     '}${part}`))
  return [
    `  ${label} ${head[0]}${known}`,
    ...head.slice(1),
    ...fix.map((line) => `          ${pc.dim(line.trimStart() === line ? line : line)}`),
  ]
}

function fixOrderLines(report: CheckReport, width: number): string[] {
  const broken = report.relations.filter((relation) => relation.orphans > 0)
  if (broken.length === 0) return []
  const lines = ['', pc.bold('Fix order (parents first)')]
  broken.forEach((relation, i) => {
    const next = relation.downstream.map((effect) => `${count(effect.rows)} row(s) of ${effect.relation}`).join(', ')
    lines.push(...wrap(`  ${i + 1}. ${relation.name}${next ? ` — deleting its orphans leaves ${next} orphaned` : ''}`, width, 6))
  })
  return lines
}

function summary(report: CheckReport): string {
  const errors = report.findings.filter((finding) => finding.severity === 'error' && !finding.baseline).length
  const warnings = report.findings.filter((finding) => finding.severity === 'warning' && !finding.baseline).length
  const orphanTotal = report.relations.reduce((sum, relation) => sum + relation.orphans, 0)
  const broken = report.relations.filter((relation) => relation.orphans > 0).length
  const counted = `Checked in ${report.ms} ms`
  if (!report.complete) {
    const partial = report.relations.filter((relation) => !relation.complete).map((relation) => relation.name)
    return pc.red(`INCOMPLETE: ${partial.join(', ')} not fully counted; the counts above are lower bounds. Not a clean result.`)
  }
  const tally = `${errors} error(s), ${warnings} warning(s); ${count(orphanTotal)} orphaned row(s) in ${broken} of ${report.relations.length} relation(s)`
  const line = report.ok ? pc.green(`OK: ${tally}`) : pc.red(`FAILED: ${tally}`)
  return `${line}\n${pc.dim(`${counted}.`)}`
}

/** The human-readable check report: relations, samples, findings with fixes, fix order; fits 100 columns; `sampleLimit` is the --sample used. */
export function formatCheckText(report: CheckReport, sampleLimit: number, width = WIDTH): string {
  const lines: string[] = [report.relations.length > 0 ? relationTable(report, width) : 'No relations to check.']
  const partial = report.relations.filter((relation) => !relation.complete || relation.scan.note)
  for (const relation of partial) lines.push(...wrap(`  ${relation.name}: ${relation.scan.note}`, width, 4).map((line) => pc.dim(line)))
  const samples = report.relations.filter((relation) => relation.samples.length > 0)
  if (samples.length > 0) {
    lines.push('', pc.bold('Orphaned keys (samples)'))
    for (const relation of samples) {
      const more = relation.samples.length >= sampleLimit ? ', ...' : ''
      lines.push(...wrap(`  ${relation.name}: ${relation.samples.map(formatSample).join(', ')}${more}`, width, 4))
    }
  }
  if (report.findings.length > 0) {
    lines.push('', pc.bold('Findings'))
    for (const finding of report.findings) lines.push(...formatFinding(finding, width))
  }
  lines.push(...fixOrderLines(report, width), '', summary(report))
  return lines.join('\n')
}
