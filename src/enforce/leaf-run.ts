import { randomBytes } from 'node:crypto'
import { OperationNodeTransformer, sql, ValueNode } from 'kysely'
import type { Relation } from '../model/relation.js'
import { columnArrays, singleKeyType } from './checks.js'
import type { EnforcementContext } from './context.js'
import type { KeyWindow } from './key-window.js'
import type { KeyTuple } from './keys.js'
import { type ActedRows, type BatchStamp, leafStatement, StampLostError } from './leaf-batch.js'
import type { Runner } from './runner.js'
import type { Sql } from './sql-parts.js'

/** How long a run of batches goes on before it hands back to the worker, which then reports progress and can stop (SIGTERM). */
const RUN_MS = 100
/** The PL/pgSQL variable holding the keys of the window a batch looks at. */
const WINDOW_KEYS = sql.raw('refguard_window')
/** The dollar quote around the block: a statement or type name that contains it is not run this way. */
const QUOTE = '$refguard_run$'

/** Writes parameters into the SQL text as literals, since a DO block takes none; refuses strings a backslash could change. */
class InlineValues extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    if (typeof node.value === 'string' && node.value.includes('\\')) throw new TypeError('a backslash in a literal')
    return ValueNode.createImmediate(node.value)
  }
}

/** A statement's text with its parameters written in as literals; undefined when one cannot be (an array, a buffer). */
function inlined(runner: Runner, query: Sql): string | undefined {
  try {
    const compiled = runner.compiled(new InlineValues().transformNode(query.toOperationNode()))
    return compiled.parameters.length === 0 ? compiled.sql : undefined
  } catch {
    return undefined
  }
}

/** What the block reports when it ends, in the session setting `refguard.leaf_run`. */
interface RunReport {
  /** The run's own random token: a report without it is another session's (a pooler in transaction mode). */
  token: string
  rows: number
  /** What the last batch found. */
  found: number
  /** 0 when the last batch found the job no longer this worker's. */
  owned: number
  /** The window's first key (from 0) and width, for the next run. */
  from: number
  width: number
}

/** A text as a string literal that means the same whatever standard_conforming_strings says (`E'...'`). */
function escapedLiteral(text: string): string {
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`
}

/**
 * The DO block: the leaf statement, its pending children those of `refguard_window`, again and again, committing after
 * each batch (which first takes its slot, under a cap), moving the window as `KeyWindow.advance` does, until the window
 * passes the last key, the job is no longer this worker's, or `RUN_MS` have gone by (half the session's
 * statement_timeout, if that is shorter). Everything it needs is in its text: a pooler may send the next statement
 * to another server session.
 */
function runBlock(
  statement: string,
  keys: string,
  type: string,
  limit: number,
  window: { from: number; width: number },
  token: string,
  slot = '',
): string {
  return `do ${QUOTE}
declare
  refguard_keys ${type}[] := cast(${keys} as ${type}[]);
  refguard_window ${type}[];
  refguard_total bigint := coalesce(cardinality(refguard_keys), 0);
  refguard_from bigint := ${window.from + 1};
  refguard_width bigint := ${window.width};
  refguard_deleted bigint;
  refguard_found bigint;
  refguard_owned bigint;
  refguard_setting text;
  refguard_rows bigint := 0;
  -- Half the session's statement_timeout, if that is shorter: the block is one statement.
  refguard_until timestamptz := clock_timestamp() + least(interval '${RUN_MS} milliseconds',
    coalesce(nullif(cast(current_setting('statement_timeout') as interval), interval '0') / 2, interval '${RUN_MS} milliseconds'));
begin
  loop
    ${slot}
    refguard_window := refguard_keys[refguard_from : refguard_from + refguard_width - 1];
    ${statement}
      into refguard_deleted, refguard_found, refguard_owned, refguard_setting;
    exit when refguard_owned = 0;
    commit;
    refguard_rows := refguard_rows + refguard_deleted;
    if refguard_found > ${limit} then
      refguard_width := greatest(1, refguard_width / 2);
    else
      refguard_from := refguard_from + refguard_width;
      refguard_width := greatest(1, least(refguard_width * ${limit} / greatest(refguard_found, 1), refguard_total - refguard_from + 1));
    end if;
    exit when refguard_from > refguard_total or clock_timestamp() >= refguard_until;
  end loop;
  perform set_config('refguard.leaf_run', json_build_object('token', '${token}', 'rows', refguard_rows, 'found', refguard_found,
    'owned', refguard_owned, 'from', refguard_from - 1, 'width', refguard_width)::text, false);
end ${QUOTE}`
}

/**
 * Leaf batches (see `deleteLeafRows`) one after another on a PostgreSQL server, each its own transaction, in one
 * round trip: a DO block runs the batch statement in a loop that commits after every batch and moves the key window
 * itself, for up to `RUN_MS`. A worker waiting for each batch's answer before sending the next spends about a third
 * of the batch's time on the round trip. The job's keys are written into the block as the server itself prints the
 * array (so any key type works), the other values of the statement as literals. The block leaves its report in a
 * session setting, with a token of its own; a report read back without that token (another server session's, behind
 * a pooler in transaction mode) ends runs for the job: the window starts over and the rest goes one batch at a time.
 * A worker killed mid-run leaves the server to finish the run: every batch still runs only while the job is this
 * worker's, as one batch does. Undefined, having done nothing, where this does not apply: not a PostgreSQL server, a
 * key of more than one column or of unknown type, or a value that cannot be written as a literal.
 */
export async function runLeafBatches(
  context: EnforcementContext,
  relation: Relation,
  keys: KeyTuple[],
  limit: number,
  window: KeyWindow,
  stamp: BatchStamp,
  pendingOf: (keys: Sql) => Sql | undefined,
): Promise<ActedRows | undefined> {
  const type = singleKeyType(context, relation)
  const pending = pendingOf(WINDOW_KEYS)
  if (context.runner.engine !== 'postgres' || !stamp.runs || !type || !pending) return undefined
  const statement = inlined(context.runner, leafStatement(context, relation, pending, limit, stamp))
  if (statement === undefined) return undefined
  const [keyArray] = columnArrays(keys, [type])
  const printed = await context.runner.run<{ keys: string }>(sql`select cast(${keyArray} as text) as ${sql.id('keys')}`)
  const token = randomBytes(8).toString('hex')
  const block = runBlock(statement, escapedLiteral(printed.rows[0]?.keys ?? '{}'), type, limit, window.position(), token, stamp.slot)
  // The quote must close the block and nothing else (a name or a value holding it could end the block early).
  if (block.split(QUOTE).length !== 3) return undefined
  await context.runner.run(sql.raw(block))
  const { rows } = await context.runner.run<{ run: string | null }>(
    sql`select current_setting('refguard.leaf_run', true) as ${sql.id('run')}`,
  )
  const run = JSON.parse(rows[0]?.run || '{}') as Partial<RunReport>
  if (run.token !== token) {
    stamp.runs = false
    window.rewind()
    return { rows: 0, found: limit + 1 }
  }
  window.moveTo(Number(run.from), Number(run.width))
  if (run.owned === 0) throw new StampLostError()
  return { rows: Number(run.rows), found: Number(run.found) }
}
