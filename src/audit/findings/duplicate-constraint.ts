import type { ForeignKeyInfo } from '../../db/schema-info.js'
import type { Finding } from '../finding.js'
import type { RelationContext } from '../relation-context.js'
import { identifierFor, tableNameFor } from '../sql-names.js'

/** Whether a declared FOREIGN KEY links the same child columns to the same parent columns as the relation. */
function declares(foreignKey: ForeignKeyInfo, context: RelationContext): boolean {
  const { relation, parent } = context
  if (foreignKey.parent.schema !== parent.schema || foreignKey.parent.table !== parent.name) return false
  const pairs = (child: string[], parentColumns: string[]) => child.map((column, i) => `${column}->${parentColumns[i]}`).sort()
  return pairs(foreignKey.columns, foreignKey.parent.columns).join() === pairs(relation.child.columns, relation.parent.columns).join()
}

/** `duplicate-constraint`: the relation is also a declared FOREIGN KEY, so it is enforced twice, possibly with different actions. */
export function duplicateConstraintFindings(context: RelationContext): Finding[] {
  const { asWritten, family } = context
  return context.child.foreignKeys
    .filter((foreignKey) => declares(foreignKey, context))
    .map((foreignKey) => {
      const differs = foreignKey.onDelete !== asWritten.onDelete || foreignKey.onUpdate !== asWritten.onUpdate
      const actions = differs
        ? `; their actions differ (constraint: on delete ${foreignKey.onDelete}, on update ${foreignKey.onUpdate}; relation: on delete ${asWritten.onDelete}, on update ${asWritten.onUpdate})`
        : ''
      const drop = family === 'postgres' ? 'DROP CONSTRAINT' : 'DROP FOREIGN KEY'
      return {
        kind: 'duplicate-constraint' as const,
        severity: 'warning' as const,
        relation: asWritten.name,
        message: `relation "${asWritten.name}" is also declared as FOREIGN KEY ${foreignKey.name} on ${context.child.name}: it is enforced twice${actions}`,
        fix: `remove relation "${asWritten.name}" from the config, or ALTER TABLE ${tableNameFor(family)(asWritten.child)} ${drop} ${identifierFor(family)(foreignKey.name)}`,
      }
    })
}
