import type { TestDatabase } from '../support/databases.js'
import { runsAgree, type SideRun } from './compare.js'
import { recreateTables } from './ddl.js'
import type { Enforcement } from './enforcement.js'
import { readTables, runStatement } from './execute.js'
import { rowCountCompared } from './known-differences.js'
import type { OracleDialect, Scenario } from './model.js'
import { formatDisagreement } from './report.js'
import { withinTimeLimit } from './time-limit.js'

/** The oracle (tables with real FOREIGN KEYs), the subject (tables without) and what enforces the subject. */
export interface Arena {
  oracle: TestDatabase
  subject: TestDatabase
  enforcement: Enforcement
}

/** Runs the scenario statement by statement on both sides, each in autocommit mode; see `withinTimeLimit` for hangs. */
export async function runOnBothSides(arena: Arena, scenario: Scenario): Promise<{ expected: SideRun; actual: SideRun }> {
  const { oracle, subject, enforcement } = arena
  await Promise.all([recreateTables(oracle.db, scenario.schema, true), recreateTables(subject.db, scenario.schema, false)])
  const enforced = await enforcement.start(subject.db, scenario.schema)
  try {
    const expected: SideRun = { outcomes: [], tables: {} }
    const actual: SideRun = { outcomes: [], tables: {} }
    for (const statement of scenario.statements) {
      const guardedStatement = withinTimeLimit(oracle, subject, runStatement(enforced.db, statement))
      const [native, guarded] = await Promise.all([runStatement(oracle.db, statement), guardedStatement])
      expected.outcomes.push(native)
      actual.outcomes.push(guarded)
    }
    ;[expected.tables, actual.tables] = await Promise.all([readTables(oracle.db, scenario.schema), readTables(subject.db, scenario.schema)])
    return { expected, actual }
  } finally {
    await enforced.close()
  }
}

/** The oracle's engine: a PostgreSQL or MariaDB server. */
function oracleDialect(arena: Arena): OracleDialect {
  const { dialect } = arena.oracle
  if (dialect === 'pglite') throw new Error('the oracle runs on a PostgreSQL or MariaDB server')
  return dialect
}

/**
 * Throws a replayable report when the subject's outcomes or final tables differ from the oracle's.
 * Every affected-row count is compared except the documented InnoDB difference (c) of known-differences.ts.
 */
export async function expectAgreement(arena: Arena, scenario: Scenario): Promise<void> {
  const { expected, actual } = await runOnBothSides(arena, scenario)
  const dialect = oracleDialect(arena)
  const compared = (index: number) => rowCountCompared(dialect, scenario.schema, scenario.statements[index]!)
  if (runsAgree(expected, actual, compared)) return
  const labels: [string, string] = [`native FK (${dialect})`, arena.enforcement.label]
  throw new Error(formatDisagreement(arena.oracle.db, scenario, expected, actual, labels, compared))
}
