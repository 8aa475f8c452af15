import { UsageError } from '../errors.js'
import { didYouMean } from '../util/suggest.js'
import type { Relation } from './relation.js'

/** The relations named by `--relation` (all when none is named); unknown names are a usage error. */
export function selectRelations(relations: readonly Relation[], names: readonly string[] = []): Relation[] {
  if (names.length === 0) return [...relations]
  const known = relations.map((relation) => relation.name)
  return names.map((name) => {
    const relation = relations.find((candidate) => candidate.name === name)
    if (!relation) {
      throw new UsageError(
        `unknown relation "${name}"${didYouMean(name, known)}`,
        `use one of: ${known.join(', ') || '(no relations configured)'}`,
      )
    }
    return relation
  })
}
