import type { CheckReport, DownstreamEffect, RelationResult } from '../audit/report.js'

/** One relation of the fix order that a repair would touch. */
export interface FixStep {
  name: string
  /** Undefined when the fix order names a relation the report has no result for. */
  relation?: RelationResult
  downstream: DownstreamEffect[]
}

/** The fix order, cut down to relations with orphans and those their repair would orphan in turn. */
export function fixSteps(report: CheckReport): FixStep[] {
  const byName = new Map(report.relations.map((relation) => [relation.name, relation]))
  const affected = new Set(
    report.relations
      .filter((relation) => relation.orphans > 0)
      .flatMap((relation) => [relation.name, ...relation.downstream.map((effect) => effect.relation)]),
  )
  return report.fixOrder
    .filter((name) => affected.has(name))
    .map((name) => {
      const relation = byName.get(name)
      return { name, relation, downstream: relation?.downstream ?? [] }
    })
}
