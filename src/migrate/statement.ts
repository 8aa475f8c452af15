import type { Kysely } from 'kysely'
import type { DdlStep } from './ddl.js'

/** One DDL statement of a migration: printed for review, run by `--apply`. */
export interface MigrationStatement {
  /** The configured database it runs on. */
  database: string
  /** The relation (to-hard) or constraint (to-soft) it is for. */
  relation: string
  /** The SQL exactly as `--apply` sends it; every identifier quoted by Kysely. */
  sql: string
  /** What it locks and reads. */
  note: string
}

/** Compiles a DDL step for a database; DDL takes no parameters, so the text is the whole statement. */
export function compileStep(db: Kysely<any>, database: string, relation: string, step: DdlStep): MigrationStatement {
  const compiled = step.query.compile(db)
  if (compiled.parameters.length > 0) throw new Error(`internal: DDL for "${relation}" has parameters: ${compiled.sql}`)
  return { database, relation, sql: compiled.sql, note: step.note }
}
