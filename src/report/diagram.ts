import type { CheckReport } from '../audit/report.js'
import { layoutDiagram, SIZES } from './diagram-layout.js'
import { escapeHtml } from './escape.js'
import { formatOrphans, plural } from './format.js'
import { HEALTH_COLOURS, HEALTH_LABELS, type Health, relationHealth } from './health.js'

const FONT = "ui-monospace, 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace"
const HEALTHS: Health[] = ['ok', 'error', 'warning', 'unknown']

const at = (value: number) => Math.round(value * 10) / 10

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(String(value))}"`)
    .join('')
}

function marker(health: Health): string {
  return `<marker id="rg-arrow-${health}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${HEALTH_COLOURS[health]}"/></marker>`
}

/**
 * The relation diagram as an SVG element: a box per table (`g.rg-table[data-table]`), an arrow per relation from child
 * to parent (`g.rg-relation[data-relation]`, coloured by health) and its orphan count (`g.rg-label[data-relation]`).
 */
export function relationDiagramSvg(report: CheckReport): string {
  const layout = layoutDiagram(report.relations, formatOrphans)
  const { x, y, width, height } = layout.bounds
  const arrows = layout.arrows.map(({ relation, path }) => {
    const health = relationHealth(relation, report.findings)
    const data = attributes({
      class: `rg-relation rg-${health}`,
      'data-relation': relation.name,
      'data-health': health,
      'data-child-table': relation.childTable,
      'data-parent-table': relation.parentTable,
      'data-orphans': relation.scan.mode === 'skipped' ? undefined : relation.orphans,
    })
    const title = `${relation.name}: ${relation.child} -> ${relation.parent}, ${formatOrphans(relation)} orphans (${HEALTH_LABELS[health]})`
    const dash = health === 'unknown' ? ' stroke-dasharray="6 4"' : ''
    return `<g${data}><title>${escapeHtml(title)}</title><path class="rg-edge" d="${path}" fill="none" stroke="${HEALTH_COLOURS[health]}" stroke-width="1.8"${dash} marker-end="url(#rg-arrow-${health})"/></g>`
  })
  const tables = layout.tables.map(
    (box) =>
      `<g${attributes({ class: 'rg-table', 'data-table': box.table })}><title>${escapeHtml(box.table)}</title>` +
      `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="6" fill="#ffffff" stroke="#37474f" stroke-width="1.2"/>` +
      `<text x="${at(box.x + box.width / 2)}" y="${at(box.y + box.height / 2)}" text-anchor="middle" dominant-baseline="central" font-size="${SIZES.font}" fill="#1f2933">${escapeHtml(box.text)}</text></g>`,
  )
  const labels = layout.arrows.map(({ relation, label }) => {
    const health = relationHealth(relation, report.findings)
    return (
      `<g${attributes({ class: 'rg-label', 'data-relation': relation.name })}>` +
      `<rect x="${label.x}" y="${label.y}" width="${label.width}" height="${label.height}" rx="4" fill="#ffffff" stroke="${HEALTH_COLOURS[health]}"/>` +
      `<text x="${at(label.x + label.width / 2)}" y="${at(label.y + label.height / 2)}" text-anchor="middle" dominant-baseline="central" font-size="${SIZES.labelFont}" fill="${HEALTH_COLOURS[health]}">${escapeHtml(label.text)}</text></g>`
    )
  })
  const summary = `Relation diagram: ${plural(layout.tables.length, 'table')}, ${plural(layout.arrows.length, 'relation')}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="rg-diagram" viewBox="${x} ${y} ${width} ${height}" width="${width}" height="${height}" font-family="${escapeHtml(FONT)}" role="img" aria-label="${escapeHtml(summary)}">`,
    `<defs>${HEALTHS.map(marker).join('')}</defs>`,
    `<g class="rg-relations">${arrows.join('')}</g>`,
    `<g class="rg-tables">${tables.join('')}</g>`,
    `<g class="rg-labels">${labels.join('')}</g>`,
    '</svg>',
  ].join('\n')
}
