import type { Finding } from '../audit/finding.js'
import { findColumn } from '../db/schema-info.js'
import type { RelationContext } from '../audit/relation-context.js'
import { schemaFindings } from '../audit/schema-findings.js'
import type { KeyProblem } from './key-codec.js'
import type { KeyPlan } from './key-plan.js'

/**
 * What the schema alone shows for a cross-database relation. A type-mismatch error means "the engine needs a
 * cast to compare": refguard compares cross-database keys itself, so that error stands only when it cannot
 * (`problem`), with the reason; width, length and padding warnings stand as they are.
 */
export function crossDatabaseSchemaFindings(context: RelationContext, plan: KeyPlan | KeyProblem): Finding[] {
  const findings = schemaFindings(context).filter((finding) => !(finding.kind === 'type-mismatch' && finding.severity === 'error'))
  if (!('problem' in plan)) return [...findings, ...caseInsensitiveFindings(context, plan)]
  const { asWritten } = context
  return [
    ...findings,
    {
      kind: 'type-mismatch',
      severity: 'error',
      relation: asWritten.name,
      column: asWritten.child.columns.join(', '),
      message: `relation "${asWritten.name}" (child in database "${asWritten.child.database}", parent in "${asWritten.parent.database}"): ${plan.problem}`,
      fix: plan.fix,
    },
  ]
}

/**
 * A warning for text keys in a case-insensitive collation (MySQL's `_ci`): inside one database 'abc' would match
 * 'ABC', but across databases refguard compares text exactly, so such a child counts as an orphan.
 */
function caseInsensitiveFindings(context: RelationContext, plan: KeyPlan): Finding[] {
  const { asWritten } = context
  return plan.codecs.flatMap((codec, i): Finding[] => {
    if (codec.kind !== 'string') return []
    const child = findColumn(context.child, asWritten.child.columns[i] as string)
    const parent = findColumn(context.parent, asWritten.parent.columns[i] as string)
    const loose = [child, parent].find((column) => /_ci$/.test(column?.collation ?? ''))
    if (!loose) return []
    return [
      {
        kind: 'type-mismatch',
        severity: 'warning',
        relation: asWritten.name,
        column: child?.name ?? '',
        message: `relation "${asWritten.name}": ${loose === child ? context.child.name : context.parent.name}.${loose.name} has the case-insensitive collation ${loose.collation}, but across databases refguard compares keys exactly: a child 'abc' does not match a parent 'ABC' (nor 'abc ' a parent 'abc')`,
        fix: `store the keys in one case on both sides (e.g. UPDATE ... SET ${child?.name} = LOWER(${child?.name})), or give both columns a binary collation (utf8mb4_bin)`,
      },
    ]
  })
}

/** An orphans finding of a cross-database relation: no one SQL statement sees both tables, so the fix is refguard's repair. */
export function crossDatabaseOrphanFix(findings: Finding[], context: RelationContext): Finding[] {
  const { asWritten } = context
  return findings.map((finding) =>
    finding.kind === 'orphans'
      ? {
          ...finding,
          fix: `refguard repair --relation ${asWritten.name} --apply (the parent table is in database "${asWritten.parent.database}": no single statement sees both tables)`,
        }
      : finding,
  )
}
