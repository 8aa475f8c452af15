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

/** Milliseconds one call of `action` takes. */
async function timeOnce(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await action()
  return performance.now() - started
}

/**
 * Runs every case `runs` times, rotating which case goes first each round so that caches and
 * server state favour none of them; returns the median and minimum per case.
 */
export async function measureRotating<K extends string>(
  runs: number,
  cases: Record<K, () => Promise<unknown>>,
): Promise<Record<K, Timing>> {
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
