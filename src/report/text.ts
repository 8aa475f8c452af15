import pc from 'picocolors'
import type { CheckReport } from '../audit/check.js'
import { formatTable } from './table.js'

function formatSample(sample: Record<string, unknown>): string {
  const values = Object.values(sample).map((value) => (value === null ? 'NULL' : String(value)))
  return values.length === 1 ? (values[0] as string) : `(${values.join(', ')})`
}

/** The human-readable check report: one table of relations, then the findings with their fixes; `sampleLimit` is the --sample used. */
export function formatCheckText(report: CheckReport, sampleLimit: number): string {
  const lines: string[] = []
  const count = (n: number) => n.toLocaleString('en-US')
  const rows = report.relations.map((relation) => [
    relation.name,
    `${relation.child} -> ${relation.parent}`,
    count(relation.rowsChecked),
    relation.orphans > 0 ? pc.red(count(relation.orphans)) : pc.green('0'),
    `${relation.ms} ms`,
  ])
  if (rows.length > 0) {
    lines.push(formatTable(['relation', 'child -> parent', 'rows', 'orphans', 'time'], rows, [false, false, true, true, true]))
  } else {
    lines.push('No relations to check.')
  }
  const samples = report.relations.filter((relation) => relation.samples.length > 0)
  if (samples.length > 0) {
    lines.push('', pc.bold('Orphaned keys (samples)'))
    for (const relation of samples) {
      lines.push(
        `  ${relation.name}: ${relation.samples.map(formatSample).join(', ')}${relation.samples.length >= sampleLimit ? ', ...' : ''}`,
      )
    }
  }
  if (report.findings.length > 0) {
    lines.push('', pc.bold('Findings'))
    for (const finding of report.findings) {
      const label = finding.severity === 'error' ? pc.red('error  ') : pc.yellow('warning')
      lines.push(`  ${label} ${pc.dim(`[${finding.kind}]`)} ${finding.message}`, `          fix: ${finding.fix}`)
    }
  }
  const errors = report.findings.filter((finding) => finding.severity === 'error').length
  const orphanTotal = report.relations.reduce((sum, relation) => sum + relation.orphans, 0)
  lines.push(
    '',
    report.ok
      ? pc.green(`OK: ${report.relations.length} relation(s) checked, no orphans.`)
      : pc.red(
          `${errors} error(s): ${count(orphanTotal)} orphaned row(s) in ${report.relations.filter((r) => r.orphans > 0).length} of ${report.relations.length} relation(s).`,
        ),
  )
  return lines.join('\n')
}
