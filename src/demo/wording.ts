import pc from 'picocolors'
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

/** `order 6`, `orders 5 and 6`: rows named by their keys. */
export function keyed(singular: string, keys: readonly string[], plural = `${singular}s`): string {
  return `${keys.length === 1 ? singular : plural} ${listOf(keys)}`
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

/** Word-wraps `text` to `width` columns, every line starting with `indent` (the first with `firstIndent`). */
export function wrap(text: string, indent: string, firstIndent = indent, width = 100): string {
  const lines: string[] = []
  let line = firstIndent
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const start = lines.length === 0 ? firstIndent : indent
    if (line.length > start.length && line.length + 1 + word.length > width) {
      lines.push(line)
      line = indent + word
    } else {
      line += line.length > start.length ? ` ${word}` : word
    }
  }
  lines.push(line)
  return lines.join('\n')
}

/** Prefixes every line of `text` with `indent`. */
export function indentLines(text: string, indent: string): string {
  return text
    .split('\n')
    .map((line) => (line ? indent + line : line))
    .join('\n')
}

/** What refusing a write looks like: the error it threw, or a red flag if it was accepted. */
export async function refusal(action: () => Promise<unknown>): Promise<string> {
  try {
    await action()
    return pc.red('accepted (it should not have been)')
  } catch (error) {
    return `${pc.red((error as Error).name)}: ${(error as Error).message}`
  }
}
