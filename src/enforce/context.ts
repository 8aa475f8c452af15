import type { RelationGraph } from '../model/graph.js'
import type { Relation, TableRef } from '../model/relation.js'
import type { KeyTuple } from './keys.js'
import type { RemoteParents } from './remote-parent.js'
import type { Runner } from './runner.js'
import type { SchemaFacts } from './schema-facts.js'

/** How a soft-deleted parent row is recognised: a timestamp set, or a boolean flag true. */
export interface SoftDeleteColumn {
  column: string
  flag: boolean
  /** The sweeper leaves the soft-deleted row in place once its children are dealt with. */
  keepParent: boolean
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
  /** The queued job whose batch this statement is: the jobs it enqueues record it as their parent. */
  job?: string
  /** Parent checks of relations whose parent table is in another database (remote-parent.ts); absent when none is. */
  remoteParents?: RemoteParents
}

/** A referential action or check waiting its turn, as PostgreSQL queues its AFTER triggers. */
export type StatementEvent =
  /** Parent keys a write changed or deleted: run the relation's action (or its RESTRICT / NO ACTION check). */
  | { kind: 'action'; relation: Relation; write: 'update' | 'delete'; changes: Array<{ before: KeyTuple; after: KeyTuple }> }
  /** New child keys that must have a parent; `mixed` are MATCH FULL keys mixing NULLs, wrong while a row still holds them. */
  | { kind: 'child-keys'; relation: Relation; keys: KeyTuple[]; mixed: KeyTuple[] }
  /** MySQL family, after SET DEFAULT: once the parent row is gone, no child may still hold its key (the default). */
  | { kind: 'still-referenced'; relation: Relation; keys: KeyTuple[]; write: 'update' | 'delete' }

/** What one top-level statement has set in motion, worked off before it returns. */
export interface StatementState {
  /**
   * First in, first out. PostgreSQL fires RI triggers at the end of the statement in the order they were
   * queued, and a cascade's own triggers join the end of the queue (breadth first); MySQL-family engines
   * run actions at once, depth first, so only child-key checks wait here.
   */
  queue: StatementEvent[]
  /** Every parent key the statement removed, for the snapshot crosscheck. */
  removed: Array<{ relation: Relation; keys: KeyTuple[] }>
  /** MySQL family: the tables being updated along the current cascade path; InnoDB turns an ON UPDATE cascade back into one of them into RESTRICT. */
  updatePath: string[]
  /** MySQL family: rows whose delete has begun (InnoDB delete-marks a row when its turn comes), so each row acts once, even in a cycle. */
  deleting: Set<string>
  /** Actions of queued relations, written to refguard_jobs when the statement ends (the transactional outbox). */
  outbox: QueuedAction[]
  /** Relations whose new child keys this statement does not check: a queued ON UPDATE CASCADE moving children on (see queued-batch.ts). */
  trusted: Set<string>
}

/** A queued relation's action: the parent keys a write removed, for a worker to act on their children later. */
export interface QueuedAction {
  relation: Relation
  write: 'update' | 'delete'
  changes: Array<{ before: KeyTuple; after: KeyTuple }>
}

/** A fresh statement state. */
export function newStatementState(): StatementState {
  return { queue: [], removed: [], updatePath: [], deleting: new Set(), outbox: [], trusted: new Set() }
}

/** Whether the relation's checks wait for commit (`deferrable initially deferred`, inside a transaction). */
export function deferred(context: EnforcementContext, relation: Relation): boolean {
  return relation.deferrable && relation.initiallyDeferred && context.runner.transaction.active
}
