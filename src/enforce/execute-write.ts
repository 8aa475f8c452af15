import { type QueryResult, sql } from 'kysely'
import type { EnforcementContext } from './context.js'
import { chunks } from './keys.js'
import type { PreimageRow } from './preimage.js'
import { keyInList } from './sql-parts.js'
import type { WriteSpec } from './write-spec.js'

const NARROWING_CHUNK = 1000

/** Runs the write itself; a statement the user wrote is narrowed to exactly the rows the preimage locked. */
export async function executeWrite(
  context: EnforcementContext,
  spec: WriteSpec,
  rows: PreimageRow[],
  identity: string[],
  narrow: boolean,
): Promise<QueryResult<unknown>> {
  if (!narrow || identity.length === 0) return context.runner.runNode(spec.statement())
  const refs = identity.map((column) => sql.id(spec.target.alias, column))
  const lists = chunks(
    rows.map((row) => row.identity),
    NARROWING_CHUNK,
  ).map((chunk) => keyInList(refs, chunk))
  const narrowing = lists.length === 0 ? sql`1 = 0` : sql`(${sql.join(lists, sql` or `)})`
  return context.runner.runNode(spec.statement(narrowing.toOperationNode()))
}
