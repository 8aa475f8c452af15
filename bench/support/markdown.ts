import type { Cell } from './benchmark.js'

function escapeCell(cell: Cell): string {
  return String(cell).replaceAll('|', '\\|')
}

/** A GitHub-flavoured Markdown table whose columns are the first row's keys, padded so the columns line up. */
export function markdownTable(rows: Record<string, Cell>[]): string {
  const columns = Object.keys(rows[0] ?? {})
  const body = rows.map((row) => columns.map((column) => escapeCell(row[column] ?? '')))
  const widths = columns.map((column, i) => Math.max(column.length, ...body.map((cells) => (cells[i] as string).length)))
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n')
}
