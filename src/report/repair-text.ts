import pc from 'picocolors'
import type { RepairReport } from '../repair/repair.js'
import type { RestoreReport } from '../repair/restore.js'
import { ARCHIVE_TABLE } from '../repair/tables.js'
import { formatTable } from './table.js'
import { wrap } from './wrap.js'

const WIDTH = 100
const count = (n: number) => n.toLocaleString('en-US')

function what(step: RepairReport['steps'][number]): string {
  if (step.kind === 'sentinel') return `${step.column} = ${JSON.stringify(step.value)} -> NULL`
  return `${step.strategy} orphans`
}

/** The repair plan (dry run) or run (with --apply): one line per step, in the order they run, then totals. */
export function formatRepairText(report: RepairReport, width = WIDTH): string {
  const rows = report.steps.map((step, i) => [
    String(i + 1),
    step.relation,
    what(step),
    count(step.planned),
    report.applied ? count(step.changed) : '',
    report.applied ? count(step.archived) : '',
    step.status,
  ])
  const lines = [
    report.steps.length > 0
      ? formatTable(['#', 'relation', 'step', 'action', 'planned', 'changed', 'archived', 'status'], rows, [
          true,
          false,
          false,
          false,
          true,
          true,
          true,
          false,
        ])
      : 'Nothing to repair: no orphans and no sentinel values.',
  ]
  for (const [i, step] of report.steps.entries()) {
    if (step.skip) lines.push(...wrap(`  ${i + 1}. skipped: ${step.skip}`, width, 6).map((line) => pc.yellow(line)))
    else if (step.alter) lines.push(...wrap(`  ${i + 1}. first: ${step.alter}`, width, 6))
  }
  const samples = report.check.relations.filter((relation) => relation.samples.length > 0)
  if (samples.length > 0 && !report.applied) {
    lines.push('', pc.bold('Sample keys'))
    for (const relation of samples) {
      lines.push(
        ...wrap(
          `  ${relation.name}: ${relation.samples.map((sample) => Object.values(sample).map(String).join('/')).join(', ')}`,
          width,
          4,
        ),
      )
    }
  }
  lines.push('')
  if (!report.applied) {
    const dry =
      'Dry run: nothing was changed. Planned counts include rows that earlier steps orphan; the repair repeats until a check is ' +
      'clean. Take a backup, then run again with --apply (rows are archived first and can be put back with refguard restore).'
    lines.push(...wrap(dry, width, 0))
  } else {
    const state = report.complete ? pc.green('done') : pc.red('stopped before the end: continue it with --resume')
    const totals = `${count(report.changed)} row(s) changed, ${count(report.archived)} archived in ${report.archive === 'table' ? ARCHIVE_TABLE : report.archive}; ${report.rounds} round(s); longest batch transaction ${report.longestBatchMs} ms.`
    lines.push(`Run ${report.runId}: ${state}.`, ...wrap(totals, width, 0))
    lines.push(`Orphans left: ${count(report.remainingOrphans)}. Undo with: refguard restore ${report.runId} --apply`)
  }
  return lines.join('\n')
}

/** What a restore did or would do. */
export function formatRestoreText(report: RestoreReport): string {
  const rows = report.tables.map((table) => [table.table, count(table.reinserted), count(table.reverted)])
  const verb = report.applied ? 'Restored' : 'Dry run: would restore'
  return [
    formatTable(['table', 'rows re-inserted', 'rows reverted'], rows, [false, true, true]),
    '',
    `${verb} run ${report.runId}${report.applied ? '.' : '; pass --apply to put the rows back.'}`,
  ].join('\n')
}
