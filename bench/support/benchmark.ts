/** One cell of a result table: numbers are printed as they are, strings verbatim. */
export type Cell = string | number

/** What a benchmark hands back to the harness: a table and notes that explain it. */
export interface BenchmarkResult {
  /** One row per measured case; the first row's keys are the table's columns. */
  rows: Record<string, Cell>[]
  /** Lines printed under the table (setup, caveats, breakdowns). */
  notes: string[]
}

/** A named benchmark the harness can run (`npx tsx bench/run.ts NAME`). */
export interface Benchmark {
  readonly name: string
  /** One sentence saying what is measured, printed above the table. */
  readonly description: string
  run(): Promise<BenchmarkResult>
}
