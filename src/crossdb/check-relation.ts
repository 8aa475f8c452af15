import type { RelationContext } from '../audit/relation-context.js'
import type { ScanOptions, ScanResult } from '../audit/scan.js'
import type { Database } from '../db/connect.js'
import type { KeyProblem } from './key-codec.js'
import { type KeyPlan, keyPlanFor } from './key-plan.js'
import { parentProbe } from './parent-keys.js'
import { scanAcrossDatabases } from './scan.js'
import { type CrossJoin, crossJoinOf, pageOf } from './sides.js'

/** Keys per page when no --chunk-rows is given: a few MB of memory per page, few enough statements per million keys. */
export const DEFAULT_PAGE_KEYS = 20_000

/** The databases of a relation's two sides. */
export interface RelationDatabases {
  child: Database
  parent: Database
}

/** A side of the join, named as the config names its database. */
function sideOf(database: Database, name: string) {
  return { name, db: database.db, family: database.dialect.family, location: database.location }
}

/** How a cross-database relation's keys compare, or why they cannot be. */
export function crossDatabaseKeyPlan(context: RelationContext, databases: RelationDatabases): KeyPlan | KeyProblem {
  return keyPlanFor(context.relation, context.child, context.parent, {
    child: databases.child.dialect.family,
    parent: databases.parent.dialect.family,
  })
}

/** The anti-join of a cross-database relation with a key plan. */
export function relationJoin(
  context: Pick<RelationContext, 'relation' | 'child' | 'parent'>,
  databases: RelationDatabases,
  plan: KeyPlan,
  pageKeys?: number,
): CrossJoin {
  const { relation } = context
  const sides = { child: sideOf(databases.child, relation.child.database), parent: sideOf(databases.parent, relation.parent.database) }
  return crossJoinOf(relation, sides, plan, { child: context.child, parent: context.parent }, pageKeys ?? DEFAULT_PAGE_KEYS)
}

/** `refguard check`'s count of a cross-database relation; `chunkRows` sets the keys per page. */
export function scanCrossDatabase(
  context: RelationContext,
  databases: RelationDatabases,
  plan: KeyPlan,
  options: ScanOptions,
): Promise<ScanResult> {
  return scanAcrossDatabases(relationJoin(context, databases, plan, options.chunkRows), context.child, options)
}

/** Whether the parent database holds a single-column key (a sentinel default such as 0 or ''). */
export async function crossDatabaseParentHasKey(
  context: RelationContext,
  databases: RelationDatabases,
  plan: KeyPlan,
  value: string | number,
): Promise<boolean> {
  const codec = plan.codecs[0]
  if (!codec) return false
  const page = pageOf([{ raw: [value], key: [codec.normalize(value)], rows: 1 }], 1)
  const [present] = await parentProbe(relationJoin(context, databases, plan)).present(page)
  return Boolean(present)
}
