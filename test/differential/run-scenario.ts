import type { TestDatabase } from '../support/databases.js'
import { runsAgree, type SideRun } from './compare.js'
import { recreateTables } from './ddl.js'
import type { Enforcement } from './enforcement.js'
import { readTables, runStatement } from './execute.js'
import type { Scenario } from './model.js'
import { formatDisagreement } from './report.js'

/** The oracle (tables with real FOREIGN KEYs), the subject (tables without) and what enforces the subject. */
export interface Arena {
  oracle: TestDatabase
  subject: TestDatabase
  enforcement: Enforcement
}

/** Runs the scenario statement by statement on both sides, each in autocommit mode. */
export async function runOnBothSides(arena: Arena, scenario: Scenario): Promise<{ expected: SideRun; actual: SideRun }> {
  const { oracle, subject, enforcement } = arena
  await Promise.all([recreateTables(oracle.db, scenario.schema, true), recreateTables(subject.db, scenario.schema, false)])
  const enforced = await enforcement.start(subject.db, scenario.schema)
  try {
    const expected: SideRun = { outcomes: [], tables: {} }
    const actual: SideRun = { outcomes: [], tables: {} }
    for (const statement of scenario.statements) {
      const [native, guarded] = await Promise.all([runStatement(oracle.db, statement), runStatement(enforced.db, statement)])
      expected.outcomes.push(native)
      actual.outcomes.push(guarded)
    }
    ;[expected.tables, actual.tables] = await Promise.all([readTables(oracle.db, scenario.schema), readTables(subject.db, scenario.schema)])
    return { expected, actual }
  } finally {
    await enforced.close()
  }
}

/** Throws a replayable report when the subject's outcomes or final tables differ from the oracle's. */
export async function expectAgreement(arena: Arena, scenario: Scenario): Promise<void> {
  const { expected, actual } = await runOnBothSides(arena, scenario)
  if (runsAgree(expected, actual)) return
  throw new Error(
    formatDisagreement(arena.oracle.db, scenario, expected, actual, [`native FK (${arena.oracle.dialect})`, arena.enforcement.label]),
  )
}
