import type { CheckReport, RelationResult } from '../audit/check.js'

/** `1 step`, `5 steps`, `0 categories` (pass the plural when it is not just `+s`). */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`
}

/** `13`, `5 and 7`, `5, 7 and 10`. */
export function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

/** The result of one relation of a report; the demo's own relations are always in it. */
export function resultOf(report: CheckReport, relation: string): RelationResult {
  const result = report.relations.find((candidate) => candidate.name === relation)
  if (!result) throw new Error(`the demo report has no relation "${relation}"`)
  return result
}

/** The sampled orphaned keys of a single-column relation, as text, smallest first. */
export function sampledKeys(result: RelationResult): string[] {
  return result.samples.map((sample) => String(Object.values(sample)[0]))
}
