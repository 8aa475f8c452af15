import type { Cell } from './benchmark.js'

function escapeCell(cell: Cell): string {
  return String(cell).replaceAll('|', '\\|')
}

/** A GitHub-flavoured Markdown table whose columns are the first row's keys. */
export function markdownTable(rows: Record<string, Cell>[]): string {
  const columns = Object.keys(rows[0] ?? {})
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [
    line(columns),
    line(columns.map(() => '---')),
    ...rows.map((row) => line(columns.map((column) => escapeCell(row[column] ?? '')))),
  ].join('\n')
}
