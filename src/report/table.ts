import { visibleLength } from './wrap.js'

/** Renders rows as aligned plain-text columns; numeric columns are right-aligned. */
export function formatTable(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => visibleLength(row[i] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] as number) - visibleLength(cell))
        return numeric[i] ? pad + cell : cell + pad
      })
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')
}
