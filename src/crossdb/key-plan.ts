import { keyTypeOf } from '../audit/column-types.js'
import { type ColumnInfo, findColumn, type TableInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import { type ColumnCodec, codecFor, type KeyProblem } from './key-codec.js'

/** How a cross-database relation's keys are compared and which anti-join reads them. */
export interface KeyPlan {
  codecs: ColumnCodec[]
  /**
   * `merge`: both sides read in index order, which is the order refguard compares in (integers, PostgreSQL uuid);
   * `probe`: the child's keys in its own index order, each page looked up in the parent (text, whose order is the collation's).
   */
  join: 'merge' | 'probe'
}

/** The engines on both sides, which decide whether index order is the comparison order. */
export interface SideEngines {
  child: 'postgres' | 'mysql'
  parent: 'postgres' | 'mysql'
}

/** Whether both columns' index order is refguard's comparison order. */
function ordersAgree(codec: ColumnCodec, childType: string, parentType: string, engines: SideEngines): boolean {
  if (codec.kind === 'integer') return true
  // PostgreSQL orders uuid by its bytes, which is the order of its lower-case text; MariaDB's UUID type does not.
  return (
    codec.kind === 'uuid' && childType === 'uuid' && parentType === 'uuid' && engines.child === 'postgres' && engines.parent === 'postgres'
  )
}

/** The key plan of a cross-database relation whose tables exist, or the first column pair that cannot be compared. */
export function keyPlanFor(relation: Relation, child: TableInfo, parent: TableInfo, engines: SideEngines): KeyPlan | KeyProblem {
  const codecs: ColumnCodec[] = []
  let merge = true
  for (const [i, name] of relation.child.columns.entries()) {
    // Called after validation: both tables have every key column.
    const childColumn = findColumn(child, name) as ColumnInfo
    const parentColumn = findColumn(parent, relation.parent.columns[i] as string) as ColumnInfo
    const codec = codecFor({ child: childColumn, parent: parentColumn, childTable: child.name, parentTable: parent.name })
    if ('problem' in codec) return codec
    codecs.push(codec)
    merge &&= ordersAgree(codec, keyTypeOf(childColumn).kind, keyTypeOf(parentColumn).kind, engines)
  }
  return { codecs, join: merge ? 'merge' : 'probe' }
}

/** Whether a relation's parent table lives in another database than its child table. */
export function isCrossDatabase(relation: Relation): boolean {
  return relation.child.database !== relation.parent.database
}
