import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { DialectName } from '../db/url.js'
import type { InPassSamples } from './orphan-query.js'

/** What the audit needs to know of the server behind a connection: MariaDB and MySQL differ here. */
export interface AuditEngine {
  /** How the counting pass can gather sample keys itself. */
  samples: InPassSamples
  /** The statement that limits the following statements of a session to `ms`, or undefined when the engine cannot. */
  limitStatements(ms: number): RawBuilder<unknown> | undefined
  /** The statement that lifts that limit again. */
  unlimitStatements(): RawBuilder<unknown> | undefined
  /** Whether an error is the server cancelling a statement that ran out of time. */
  isTimeout(error: unknown): boolean
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? ((error as { code?: unknown; errno?: unknown }).errno ?? (error as { code?: unknown }).code)
    : undefined
}

/** PostgreSQL cancels with 57014; MariaDB with 1969 (max_statement_time); MySQL with 3024 (max_execution_time). */
const TIMEOUT_CODES = new Set<unknown>(['57014', 1969, 3024])

/** Finds out which engine a connection reaches. PGlite runs in-process and cannot cancel a statement. */
export async function detectEngine(db: Kysely<any>, dialect: DialectName): Promise<AuditEngine> {
  const isTimeout = (error: unknown) => TIMEOUT_CODES.has(errorCode(error))
  if (dialect === 'pglite') return { samples: 'postgres', limitStatements: () => undefined, unlimitStatements: () => undefined, isTimeout }
  if (dialect === 'postgres') {
    return {
      samples: 'postgres',
      limitStatements: (ms) => sql`set statement_timeout = ${sql.lit(Math.max(1, Math.ceil(ms)))}`,
      unlimitStatements: () => sql`reset statement_timeout`,
      isTimeout,
    }
  }
  const { rows } = await sql<{ version: string }>`select version() as version`.execute(db)
  if (/mariadb/i.test(String(rows[0]?.version))) {
    return {
      samples: 'mariadb',
      limitStatements: (ms) => sql`set session max_statement_time = ${sql.lit(Math.max(0.001, ms / 1000))}`,
      unlimitStatements: () => sql`set session max_statement_time = default`,
      isTimeout,
    }
  }
  return {
    samples: 'none',
    limitStatements: (ms) => sql`set session max_execution_time = ${sql.lit(Math.max(1, Math.ceil(ms)))}`,
    unlimitStatements: () => sql`set session max_execution_time = default`,
    isTimeout,
  }
}
