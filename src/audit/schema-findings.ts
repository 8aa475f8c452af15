import type { Finding } from './finding.js'
import { duplicateConstraintFindings } from './findings/duplicate-constraint.js'
import { missingIndexFindings } from './findings/missing-index.js'
import { actionNullabilityFindings } from './findings/nullability.js'
import { parentNotUniqueFindings } from './findings/parent-not-unique.js'
import { typeMismatchFindings } from './findings/type-mismatch.js'
import type { RelationContext } from './relation-context.js'

/** Every finding the schema alone shows for one relation, without reading a row. */
export function schemaFindings(context: RelationContext): Finding[] {
  return [
    ...parentNotUniqueFindings(context),
    ...actionNullabilityFindings(context),
    ...typeMismatchFindings(context),
    ...missingIndexFindings(context),
    ...duplicateConstraintFindings(context),
  ]
}
