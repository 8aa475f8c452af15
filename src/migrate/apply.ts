import { sql } from 'kysely'
import type { DatabaseSet } from '../db/database-set.js'
import type { MigrationStatement } from './statement.js'

/** A migration statement that failed, after the ones before it took effect. */
export class MigrationApplyError extends Error {
  constructor(
    readonly applied: MigrationStatement[],
    readonly failed: MigrationStatement,
    override readonly cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(
      `${failed.sql}\n  failed on database "${failed.database}" (relation "${failed.relation}"): ${reason}\n` +
        `  ${applied.length} statement(s) before it took effect\n` +
        `  fix: remove the cause and run the same command again: what already took effect is not repeated`,
    )
    this.name = 'MigrationApplyError'
  }
}

/** Runs migration statements one by one, each on its own (no transaction: CREATE INDEX CONCURRENTLY cannot run in one); stops at the first failure. */
export async function applyStatements(
  statements: MigrationStatement[],
  databases: DatabaseSet,
  onApplied: (statement: MigrationStatement, ms: number) => void = () => {},
): Promise<void> {
  const applied: MigrationStatement[] = []
  for (const statement of statements) {
    const database = await databases.get(statement.database)
    const started = performance.now()
    try {
      await sql.raw(statement.sql).execute(database.db)
    } catch (error) {
      throw new MigrationApplyError(applied, statement, error)
    }
    applied.push(statement)
    onApplied(statement, Math.round(performance.now() - started))
  }
}
