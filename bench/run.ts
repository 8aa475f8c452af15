import { BENCHMARKS } from './registry.js'
import type { Benchmark, BenchmarkResult } from './support/benchmark.js'
import { describeMachine } from './support/machine.js'
import { markdownTable } from './support/markdown.js'
import { writeResultsSection } from './support/results-file.js'

/** The benchmarks named on the command line (all when none), or exit 2 naming the known ones. */
function selectBenchmarks(names: string[]): readonly Benchmark[] {
  if (names.length === 0) return BENCHMARKS
  const known = BENCHMARKS.map((benchmark) => benchmark.name)
  const unknown = names.filter((name) => !known.includes(name))
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.map((name) => `"${name}"`).join(', ')}; known benchmarks: ${known.join(', ')}`)
    process.exit(2)
  }
  return BENCHMARKS.filter((benchmark) => names.includes(benchmark.name))
}

function renderSection(benchmark: Benchmark, result: BenchmarkResult, machine: string, date: string): string {
  return [
    `## ${benchmark.name}`,
    '',
    benchmark.description,
    '',
    `Measured ${date} on ${machine}.`,
    '',
    markdownTable(result.rows),
    '',
    ...result.notes.map((note) => `- ${note}`),
  ].join('\n')
}

async function main(): Promise<void> {
  const selected = selectBenchmarks(process.argv.slice(2))
  const machine = await describeMachine()
  for (const benchmark of selected) {
    console.log(`running ${benchmark.name} ...`)
    try {
      const result = await benchmark.run()
      const section = renderSection(benchmark, result, machine, new Date().toISOString().slice(0, 10))
      writeResultsSection(benchmark.name, section)
      console.log(`\n${section}\n`)
    } catch (error) {
      console.error(`benchmark ${benchmark.name} failed:`, error)
      process.exitCode = 1
    }
  }
}

await main()
