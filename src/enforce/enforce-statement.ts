import { type CompiledQuery, DeleteQueryNode, InsertQueryNode, MergeQueryNode, type QueryResult, RawNode, UpdateQueryNode } from 'kysely'
import { absentKeys, checkMixedKeysGone, checkNotReferenced, checkParentsExist } from './checks.js'
import { type EnforcementContext, newStatementState, type StatementState } from './context.js'
import { UnguardedWriteError, type ViolatingAction } from './errors.js'
import { usesTransactionSnapshot } from './isolation.js'
import { processInsert } from './process-insert.js'
import { flushOutbox } from './queued-actions.js'
import { applyAction, processWrite } from './process-write.js'
import { rawWriteTarget } from './raw-writes.js'
import { plainTableName } from './target.js'
import type { DeferredCheck } from './runner.js'
import { deleteSpec, updateSpec, type WriteSpec } from './write-spec.js'

/** Whether a compiled query is a write refguard must enforce (or refuse); reads pass straight through. */
export function needsEnforcement(compiled: CompiledQuery, guardedTables: Set<string>): boolean {
  const node = compiled.query
  const target = InsertQueryNode.is(node)
    ? node.into
    : UpdateQueryNode.is(node)
      ? node.table
      : DeleteQueryNode.is(node)
        ? node.from.froms[0]
        : MergeQueryNode.is(node)
          ? node.into
          : undefined
  if (target) {
    // A write to a table no relation names needs nothing; an unusual target (several tables, a subquery) gets the full path.
    const name = plainTableName(target)
    return name === undefined || guardedTables.has(name) || (DeleteQueryNode.is(node) && node.from.froms.length > 1)
  }
  if (RawNode.is(node)) {
    const table = rawWriteTarget(compiled.sql, guardedTables)
    if (table) {
      throw new UnguardedWriteError(
        `raw SQL writes table "${table}", which a relation guards, and refguard cannot enforce raw SQL: build it with guard.db (insertInto/updateTable/deleteFrom), or run it through guard.unguarded and check afterwards with guard.check()`,
      )
    }
  }
  return false
}

/**
 * Works off the statement's queue (PostgreSQL's AFTER-trigger order; checks of new child keys), writes the
 * jobs of queued relations (the outbox), then makes the snapshot crosscheck.
 */
async function finishStatement(context: EnforcementContext, state: StatementState, action: ViolatingAction): Promise<void> {
  for (let event = state.queue.shift(); event; event = state.queue.shift()) {
    if (event.kind === 'action') await applyAction(context, event, state)
    else if (event.kind === 'still-referenced') {
      await checkNotReferenced(context, event.relation, event.keys, { exceptStillPresent: true, action: event.write })
    } else {
      await checkMixedKeysGone(context, event.relation, event.mixed, action)
      await checkParentsExist(context, event.relation, event.keys, action)
    }
  }
  await flushOutbox(context, state)
  if (state.removed.length === 0 || !(await usesTransactionSnapshot(context))) return
  for (const { relation, keys } of state.removed) {
    const absent = await absentKeys(context, relation, keys)
    if (absent.length > 0) await context.crosscheck(relation, absent)
  }
}

/** Runs one enforced write with its cascades and end-of-statement checks (the caller makes it atomic). */
export async function enforceStatement(context: EnforcementContext, compiled: CompiledQuery): Promise<QueryResult<unknown>> {
  const node = compiled.query
  const state = newStatementState()
  let result: QueryResult<unknown>
  let action: ViolatingAction
  if (InsertQueryNode.is(node)) {
    action = 'insert'
    result = await processInsert(context, node, state)
  } else if (UpdateQueryNode.is(node)) {
    action = 'update'
    result = await processWrite(context, updateSpec(node), state, true)
  } else if (DeleteQueryNode.is(node)) {
    action = 'delete'
    result = await processWrite(context, deleteSpec(node), state, true)
  } else {
    throw new UnguardedWriteError(
      'refguard does not enforce MERGE yet: split it into insertInto/updateTable/deleteFrom, or use guard.unguarded',
    )
  }
  await finishStatement(context, state, action)
  return result
}

/** Runs a write refguard generated (a queued job's batch) with everything it sets off, as a user's statement would. */
export async function enforceWrite(
  context: EnforcementContext,
  spec: WriteSpec,
  state: StatementState = newStatementState(),
): Promise<QueryResult<unknown>> {
  const result = await processWrite(context, spec, state, false)
  await finishStatement(context, state, spec.kind)
  return result
}

/** The checks of `deferrable initially deferred` relations, made at commit. */
export async function runDeferredChecks(context: EnforcementContext, checks: DeferredCheck[]): Promise<void> {
  for (const check of checks) {
    if (check.kind === 'parent-exists') await checkParentsExist(context, check.relation, check.keys, 'commit')
    else await checkNotReferenced(context, check.relation, check.keys, { exceptStillPresent: true, action: 'commit' })
  }
}
