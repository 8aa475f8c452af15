import { hasUniqueKey } from '../../db/schema-info.js'
import { describeSide, qualifiedName } from '../../model/relation.js'
import type { Finding } from '../finding.js'
import type { RelationContext } from '../relation-context.js'

/** `parent-not-unique`: no primary key or unique index covers the parent columns, so a child may match several parents. */
export function parentNotUniqueFindings(context: Omit<RelationContext, 'family'>): Finding[] {
  const { asWritten, parent } = context
  if (hasUniqueKey(parent, asWritten.parent.columns)) return []
  if (parent.kind === 'view') {
    return [
      {
        kind: 'parent-not-unique',
        severity: 'warning',
        relation: asWritten.name,
        message: `relation "${asWritten.name}": parent ${parent.name} is a view, so nothing guarantees that ${describeSide(asWritten.parent)} is unique`,
        fix: `point relation "${asWritten.name}" at the table behind view ${parent.name}`,
      },
    ]
  }
  return [
    {
      kind: 'parent-not-unique',
      severity: 'error',
      relation: asWritten.name,
      message: `relation "${asWritten.name}": parent columns ${describeSide(asWritten.parent)} are not covered by a primary key or unique index, so a child may match several parents`,
      fix: `CREATE UNIQUE INDEX ${parent.name}_${asWritten.parent.columns.join('_')}_key ON ${qualifiedName(asWritten.parent)} (${asWritten.parent.columns.join(', ')})`,
    },
  ]
}
