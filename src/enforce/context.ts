import type { RelationGraph } from '../model/graph.js'
import type { Relation, TableRef } from '../model/relation.js'
import type { KeyTuple } from './keys.js'
import type { Runner } from './runner.js'
import type { SchemaFacts } from './schema-facts.js'

/** How a soft-deleted parent row is recognised: a timestamp set, or a boolean flag true. */
export interface SoftDeleteColumn {
  column: string
  flag: boolean
}

/** Everything the engine consults while enforcing one statement. */
export interface EnforcementContext {
  runner: Runner
  graph: RelationGraph
  facts: SchemaFacts
  /** The relation-graph table a statement's target names (database and default schema filled in). */
  tableRef(target: { schema?: string; table: string }): TableRef
  /** The soft-delete column of a parent table in scheduled mode, if any. */
  softDelete(table: TableRef): SoftDeleteColumn | undefined
  /** Reads children committed after this transaction's snapshot (PostgreSQL REPEATABLE READ and up); see crosscheck.ts. */
  crosscheck(relation: Relation, keys: KeyTuple[]): Promise<void>
}

/** Checks gathered while a statement and its cascades run, made when the statement ends (PostgreSQL's AFTER triggers). */
export interface PendingChecks {
  /** New child keys that must have a parent. */
  parentExists: Array<{ relation: Relation; keys: KeyTuple[] }>
  /** Parent keys changed or deleted under RESTRICT: no child may reference them. */
  restrict: Array<{ relation: Relation; keys: KeyTuple[] }>
  /** Parent keys changed or deleted under NO ACTION: no child may reference them unless the key still exists. */
  noAction: Array<{ relation: Relation; keys: KeyTuple[] }>
  /** Every parent key removed by the statement, for the snapshot crosscheck. */
  removed: Array<{ relation: Relation; keys: KeyTuple[] }>
}

/** An empty set of pending checks. */
export function noPendingChecks(): PendingChecks {
  return { parentExists: [], restrict: [], noAction: [], removed: [] }
}
