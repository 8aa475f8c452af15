import { sql } from 'kysely'
import type { EnforcementContext } from './context.js'

/**
 * Whether this PostgreSQL transaction reads from one snapshot for its whole life (REPEATABLE READ,
 * SERIALIZABLE): then it cannot see children committed after it started, and needs the crosscheck.
 * Read once per transaction. PGlite has a single connection, so nothing concurrent to cross-check.
 */
export async function usesTransactionSnapshot(context: EnforcementContext): Promise<boolean> {
  const { runner } = context
  if (runner.engine !== 'postgres') return false
  if (!runner.transaction.isolation) {
    const result = await runner.run<{ level: string }>(sql`select current_setting('transaction_isolation') as level`)
    runner.transaction.isolation = result.rows[0]?.level ?? 'read committed'
  }
  return runner.transaction.isolation !== 'read committed'
}
