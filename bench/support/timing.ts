/** Median and minimum of one case's timed runs, in milliseconds. */
export interface Timing {
  median: number
  min: number
}

/** The median of a non-empty list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** A case whose timed `run` has untimed steps around it, taken on every run. */
export interface StagedCase {
  /** Untimed, before every run: puts the case's starting state in place. */
  prepare?(): Promise<unknown>
  /** The action that is timed. */
  run(): Promise<unknown>
  /** Untimed, after every run: asserts the run's effect. */
  verify?(): Promise<unknown>
}

/** One case to measure: the timed action alone, or a staged case. */
export type TimedCase = (() => Promise<unknown>) | StagedCase

/** Milliseconds one run of `timedCase` takes, its untimed steps excluded. */
async function timeOnce(timedCase: TimedCase): Promise<number> {
  const staged: StagedCase = typeof timedCase === 'function' ? { run: timedCase } : timedCase
  await staged.prepare?.()
  const started = performance.now()
  await staged.run()
  const elapsed = performance.now() - started
  await staged.verify?.()
  return elapsed
}

/**
 * Runs every case `runs` times, rotating which case goes first each round so that caches and
 * server state favour none of them; returns the median and minimum per case. Only each case's
 * action is timed, not a staged case's `prepare` and `verify`.
 */
export async function measureRotating<K extends string>(runs: number, cases: Record<K, TimedCase>): Promise<Record<K, Timing>> {
  const names = Object.keys(cases) as K[]
  const samples = new Map<K, number[]>(names.map((name) => [name, []]))
  for (let round = 0; round < runs; round++) {
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)]
    for (const name of order) samples.get(name)?.push(await timeOnce(cases[name]))
  }
  return Object.fromEntries(
    names.map((name) => {
      const times = samples.get(name) as number[]
      return [name, { median: median(times), min: Math.min(...times) }]
    }),
  ) as Record<K, Timing>
}

/** `123.4 (min 120.1)`: a timing as a table cell. */
export function formatTiming(timing: Timing): string {
  return `${timing.median.toFixed(1)} (min ${timing.min.toFixed(1)})`
}

/** The process's peak resident set size so far, in MiB (`maxRSS` is in KiB). */
export function peakRssMib(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024)
}
