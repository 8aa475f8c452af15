import type { TableInfo } from '../db/schema-info.js'
import { UsageError } from '../errors.js'
import type { Relation } from '../model/relation.js'
import type { Strategy } from '../repair/plan.js'
import { type RelationDatabases, relationJoin } from './check-relation.js'
import { keyPlanFor } from './key-plan.js'
import type { CrossJoin } from './sides.js'

/** The anti-join a repair of a cross-database relation reads its orphaned keys from; refuses keys that cannot be compared. */
export function crossDatabaseRepairJoin(
  relation: Relation,
  tables: { child: TableInfo; parent: TableInfo },
  databases: RelationDatabases,
): CrossJoin {
  const plan = keyPlanFor(relation, tables.child, tables.parent, {
    child: databases.child.dialect.family,
    parent: databases.parent.dialect.family,
  })
  if ('problem' in plan) throw new UsageError(`relation "${relation.name}": ${plan.problem}; nothing was changed`, plan.fix)
  return relationJoin({ relation, ...tables }, databases, plan)
}

/**
 * SET DEFAULT leaves a row holding the default, which the parent database may lack as well: the step would find
 * it again, so a cross-database repair refuses it before any change (a single-database one walks the primary key).
 */
export function refuseCrossDatabaseStrategy(relation: Relation, strategy: Strategy): void {
  if (strategy !== 'set-default') return
  throw new UsageError(
    `relation "${relation.name}": strategy set-default is not available when the parent table is in another database ("${relation.parent.database}"): nothing was changed`,
    `pass --strategy ${relation.name}=delete or --strategy ${relation.name}=set-null`,
  )
}
