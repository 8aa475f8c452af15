import type { Finding, Severity } from '../audit/finding.js'
import type { CheckReport, RelationResult } from '../audit/report.js'
import { relationDiagramSvg } from './diagram.js'
import { escapeHtml } from './escape.js'
import { fixSteps } from './fix-steps.js'
import { formatCount, formatOrphans, formatShare, formatValue, plural } from './format.js'
import { HEALTH_COLOURS, HEALTH_LABELS, type Health, relationHealth } from './health.js'
import { checkVerdict, type VerdictStatus } from './verdict.js'

const STATUS_COLOURS: Record<VerdictStatus, string> = {
  clean: HEALTH_COLOURS.ok,
  passed: HEALTH_COLOURS.ok,
  failed: HEALTH_COLOURS.error,
  incomplete: HEALTH_COLOURS.warning,
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;padding:24px;font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1f2933;background:#f6f7f9}
main{max-width:1200px;margin:0 auto}
h1{font-size:22px;margin:0 0 8px}
h2{font-size:18px;margin:32px 0 12px;border-bottom:1px solid #d9dee4;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
code,pre,.mono{font-family:ui-monospace,'DejaVu Sans Mono','Liberation Mono',Menlo,Consolas,monospace;font-size:13px}
.verdict{font-size:17px;font-weight:600;margin:0 0 4px;padding:10px 14px;border-radius:6px;color:#fff}
.detail{margin:0 0 12px;color:#52606d}
.counts{display:flex;flex-wrap:wrap;gap:12px;margin:0;padding:0}
.counts div{background:#fff;border:1px solid #d9dee4;border-radius:6px;padding:8px 14px;min-width:120px}
.counts dt{font-size:12px;color:#52606d}
.counts dd{margin:0;font-size:20px;font-weight:600}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d9dee4;border-radius:6px}
.diagram{padding:8px}
.diagram svg{display:block;margin:0 auto}
.legend{display:flex;flex-wrap:wrap;gap:16px;margin:8px 0 0;padding:0;list-style:none;font-size:13px}
.legend li::before{content:'';display:inline-block;width:18px;height:3px;margin:0 6px 3px 0;vertical-align:middle;background:var(--colour)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e4e7eb;vertical-align:top;overflow-wrap:break-word}
th{font-size:12px;color:#52606d;background:#f0f2f5}
td.num,th.num{text-align:right;white-space:nowrap}
tr[data-health] td:first-child{border-left:4px solid var(--colour)}
.finding{background:#fff;border:1px solid #d9dee4;border-left:4px solid var(--colour);border-radius:6px;padding:10px 14px;margin:0 0 10px}
.finding p{margin:0 0 6px;overflow-wrap:anywhere}
.badge{display:inline-block;border-radius:4px;padding:0 6px;margin-right:6px;color:#fff;background:var(--colour);font-size:12px;font-weight:600;text-transform:uppercase}
.kind{font-weight:600;margin-right:6px}
.known{color:#52606d;font-style:italic}
pre{margin:0;padding:8px 10px;background:#f0f2f5;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere}
.null{color:#8a8f98;font-style:italic}
ol.fix-order li{margin:0 0 6px}
.muted{color:#52606d}
`

function colour(value: string): string {
  return ` style="--colour:${value}"`
}

function summary(report: CheckReport, title: string, generatedAt: Date | undefined): string {
  const verdict = checkVerdict(report)
  const counts: [string, string][] = [
    ['Relations', formatCount(report.relations.length)],
    ['Errors', formatCount(verdict.errors)],
    ['Warnings', formatCount(verdict.warnings)],
    ['Orphaned rows', `${verdict.status === 'incomplete' && verdict.orphans > 0 ? '≥ ' : ''}${formatCount(verdict.orphans)}`],
    ['Counted', verdict.status === 'incomplete' ? 'INCOMPLETE' : 'complete'],
    ['Time', `${formatCount(report.ms)} ms`],
  ]
  return [
    '<header>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="verdict" data-status="${verdict.status}" style="background:${STATUS_COLOURS[verdict.status]}">refguard check: ${escapeHtml(verdict.headline)}</p>`,
    `<p class="detail">${escapeHtml(verdict.detail)}${generatedAt ? ` · generated ${escapeHtml(generatedAt.toISOString())}` : ''}</p>`,
    `<dl class="counts">${counts.map(([name, value]) => `<div><dt>${name}</dt><dd>${escapeHtml(value)}</dd></div>`).join('')}</dl>`,
    '</header>',
  ].join('\n')
}

function diagramSection(report: CheckReport): string {
  if (report.relations.length === 0)
    return '<section id="diagram"><h2>Relations</h2><p class="muted">No relations were checked.</p></section>'
  const legend = (Object.keys(HEALTH_LABELS) as Health[])
    .map((health) => `<li${colour(HEALTH_COLOURS[health])}>${HEALTH_LABELS[health]}</li>`)
    .join('')
  return [
    '<section id="diagram">',
    '<h2>Relations</h2>',
    `<div class="scroll diagram">${relationDiagramSvg(report)}</div>`,
    `<ul class="legend">${legend}</ul>`,
    '<p class="muted">Arrows point from the child table to its parent; the label is the number of orphaned child rows.</p>',
    '</section>',
  ].join('\n')
}

function scanText(relation: RelationResult): string {
  const mode = relation.scan.mode === 'chunked' ? `chunked, ${plural(relation.scan.chunks, 'chunk')}` : relation.scan.mode
  return `${mode}${relation.complete ? '' : ', incomplete'}${relation.scan.note ? `: ${relation.scan.note}` : ''}`
}

function relationTable(report: CheckReport): string {
  if (report.relations.length === 0) return ''
  const skipped = (relation: RelationResult, text: string) => (relation.scan.mode === 'skipped' ? '–' : text)
  const rows = report.relations.map((relation) => {
    const health = relationHealth(relation, report.findings)
    return (
      `<tr data-relation="${escapeHtml(relation.name)}" data-health="${health}"${colour(HEALTH_COLOURS[health])}>` +
      `<td><code>${escapeHtml(relation.name)}</code></td>` +
      `<td><code>${escapeHtml(relation.child)}</code> → <code>${escapeHtml(relation.parent)}</code></td>` +
      `<td class="num">${skipped(relation, formatCount(relation.rowsChecked))}</td>` +
      `<td class="num">${escapeHtml(formatOrphans(relation))}</td>` +
      `<td class="num">${skipped(relation, escapeHtml(formatShare(relation.share)))}</td>` +
      `<td class="num">${relation.level}</td>` +
      `<td>${escapeHtml(scanText(relation))}</td>` +
      `<td class="num">${formatCount(relation.ms)} ms</td></tr>`
    )
  })
  const header = ['Relation', 'Child → Parent', 'Rows', 'Orphans', 'Share', 'Level', 'Scan', 'Time']
  const numeric = new Set(['Rows', 'Orphans', 'Share', 'Level', 'Time'])
  return [
    '<section id="relation-table">',
    '<h2>Relation results</h2>',
    `<div class="scroll"><table><thead><tr>${header.map((name) => `<th${numeric.has(name) ? ' class="num"' : ''}>${name}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.join('\n')}</tbody></table></div>`,
    '</section>',
  ].join('\n')
}

function findingArticle(finding: Finding): string {
  const health: Health = finding.severity === 'error' ? 'error' : 'warning'
  const about = finding.relation === undefined ? '' : ` in <code>${escapeHtml(finding.relation)}</code>`
  const known = finding.baseline ? ' <span class="known">(in the baseline)</span>' : ''
  return [
    `<article class="finding" data-severity="${finding.severity}" data-kind="${escapeHtml(finding.kind)}"${finding.relation === undefined ? '' : ` data-relation="${escapeHtml(finding.relation)}"`}${colour(HEALTH_COLOURS[health])}>`,
    `<p><span class="badge">${finding.severity}</span><span class="kind">${escapeHtml(finding.kind)}</span>${about}${known}</p>`,
    `<p>${escapeHtml(finding.message)}</p>`,
    `<pre class="fix"><code>${escapeHtml(finding.fix)}</code></pre>`,
    '</article>',
  ].join('\n')
}

function findingsSection(findings: Finding[]): string {
  if (findings.length === 0) return '<section id="findings"><h2>Findings</h2><p class="muted">None.</p></section>'
  const group = (severity: Severity, title: string) => {
    const list = findings.filter((finding) => finding.severity === severity)
    return list.length === 0 ? '' : `<h3>${title} (${list.length})</h3>\n${list.map(findingArticle).join('\n')}`
  }
  return ['<section id="findings">', '<h2>Findings</h2>', group('error', 'Errors'), group('warning', 'Warnings'), '</section>'].join('\n')
}

function cell(value: unknown): string {
  return value === null || value === undefined ? '<td class="null">NULL</td>' : `<td class="mono">${escapeHtml(formatValue(value))}</td>`
}

function samplesSection(relations: RelationResult[]): string {
  const sampled = relations.filter((relation) => relation.samples.length > 0)
  if (sampled.length === 0) return ''
  const tables = sampled.map((relation) => {
    const columns = [...new Set(relation.samples.flatMap((sample) => Object.keys(sample)))]
    const shown = relation.samples.length < relation.orphans ? ` (${relation.samples.length} of ${formatOrphans(relation)})` : ''
    return [
      `<div class="samples" data-relation="${escapeHtml(relation.name)}">`,
      `<h3><code>${escapeHtml(relation.name)}</code>${escapeHtml(shown)}</h3>`,
      `<div class="scroll"><table><thead><tr>${columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('')}</tr></thead>`,
      `<tbody>${relation.samples.map((sample) => `<tr>${columns.map((column) => cell(sample[column])).join('')}</tr>`).join('')}</tbody></table></div>`,
      '</div>',
    ].join('\n')
  })
  return ['<section id="samples">', '<h2>Sample orphaned keys</h2>', ...tables, '</section>'].join('\n')
}

function fixOrderSection(report: CheckReport): string {
  const steps = fixSteps(report)
  if (steps.length === 0) return ''
  const items = steps.map((step) => {
    const counted = step.relation === undefined ? '' : ` — level ${step.relation.level}, ${plural(step.relation.orphans, 'orphan')}`
    const effects = step.downstream.map((effect) => `${plural(effect.rows, 'row')} of <code>${escapeHtml(effect.relation)}</code>`)
    const then = effects.length > 0 ? `; deleting them orphans ${effects.join(', ')}` : ''
    return `<li data-relation="${escapeHtml(step.name)}"><code>${escapeHtml(step.name)}</code>${escapeHtml(counted)}${then}</li>`
  })
  return [
    '<section id="fix-order">',
    '<h2>Fix order</h2>',
    '<p>Repair level by level, parents first:</p>',
    `<ol class="fix-order">${items.join('\n')}</ol>`,
    '</section>',
  ].join('\n')
}

/** The check report as one self-contained HTML page: summary, relation diagram, results, findings with fixes, samples, fix order. */
export function formatCheckHtml(report: CheckReport, options: { title?: string; generatedAt?: Date } = {}): string {
  const title = options.title ?? 'refguard check report'
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    summary(report, title, options.generatedAt),
    diagramSection(report),
    relationTable(report),
    findingsSection(report.findings),
    samplesSection(report.relations),
    fixOrderSection(report),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
