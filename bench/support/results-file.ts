import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/** The file every benchmark records its latest results in. */
export const RESULTS_FILE = new URL('../RESULTS.md', import.meta.url)

const INTRO = `# Benchmark results

Run every benchmark with \`npm run bench\`, or some of them by name: \`npx tsx bench/run.ts audit\`.
Each run rewrites only its own section below, so sections may come from different days.
Numbers are from the machine named in each section; compare ratios (measured in the same run,
cases interleaved) rather than absolute times across machines.
`

function markers(name: string): { start: string; end: string } {
  return { start: `<!-- bench:${name} -->`, end: `<!-- /bench:${name} -->` }
}

/** Replaces the section of benchmark `name` in RESULTS.md with `body` (appending it if new), keeping every other section. */
export function writeResultsSection(name: string, body: string): void {
  const { start, end } = markers(name)
  const section = `${start}\n${body.trim()}\n${end}`
  const current = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : INTRO
  const from = current.indexOf(start)
  const to = current.indexOf(end)
  const next =
    from >= 0 && to > from ? current.slice(0, from) + section + current.slice(to + end.length) : `${current.trimEnd()}\n\n${section}\n`
  writeFileSync(RESULTS_FILE, next)
}
