import { hasLeadingIndex } from '../../db/schema-info.js'
import type { Finding } from '../finding.js'
import type { RelationContext } from '../relation-context.js'
import { identifierFor, tableNameFor } from '../sql-names.js'

/** `missing-index`: no index leads with the child key, so every parent delete, key update and check scans the child table. */
export function missingIndexFindings(context: RelationContext): Finding[] {
  const { asWritten, child, family } = context
  if (child.kind === 'view') return []
  const key = asWritten.child.columns
  const filtered = [...Object.keys(asWritten.child.where ?? {}), ...key]
  if (hasLeadingIndex(child, key) || hasLeadingIndex(child, filtered)) return []
  const identifier = identifierFor(family)
  const name = identifier(`${child.name}_${key.join('_')}_idx`)
  const columns = key.map(identifier).join(', ')
  const table = tableNameFor(family)(asWritten.child)
  return [
    {
      kind: 'missing-index',
      severity: 'warning',
      relation: asWritten.name,
      column: key.join(', '),
      message: `relation "${asWritten.name}": no index on ${child.name} starts with (${key.join(', ')}): every delete or key change in ${context.parent.name} scans ${child.name}`,
      fix:
        family === 'postgres'
          ? `CREATE INDEX CONCURRENTLY ${name} ON ${table} (${columns})`
          : `ALTER TABLE ${table} ADD INDEX ${name} (${columns}), ALGORITHM=INPLACE, LOCK=NONE`,
    },
  ]
}
