import type { Outcome, TableContents } from './execute.js'

/** What one side did with a scenario: an outcome per statement and the tables afterwards. */
export interface SideRun {
  outcomes: Outcome[]
  tables: TableContents
}

/** Whether the affected-row count of the statement at `index` is compared (see known-differences.ts). */
export type RowCountCompared = (index: number) => boolean

const EVERY_COUNT: RowCountCompared = () => true

/** The SQLSTATE class: '23503' (FK), '23505' (unique), '23502' (not null) and MariaDB's '23000' all are '23'. */
export function sqlStateClass(sqlState: string): string {
  return sqlState.slice(0, 2)
}

/** Same row count on success (unless `compareRowCount` is false), same SQLSTATE class on failure. */
export function outcomesAgree(expected: Outcome, actual: Outcome, compareRowCount = true): boolean {
  if (expected.ok && actual.ok) return !compareRowCount || expected.rows === actual.rows
  if (!expected.ok && !actual.ok) return sqlStateClass(expected.sqlState) === sqlStateClass(actual.sqlState)
  return false
}

/** Indices of the statements whose outcomes differ. */
export function differingStatements(expected: SideRun, actual: SideRun, rowCountCompared = EVERY_COUNT): number[] {
  return expected.outcomes.flatMap((outcome, index) =>
    outcomesAgree(outcome, actual.outcomes[index]!, rowCountCompared(index)) ? [] : [index],
  )
}

/** Names of the tables whose final contents differ. */
export function differingTables(expected: SideRun, actual: SideRun): string[] {
  return Object.keys(expected.tables).filter((table) => JSON.stringify(expected.tables[table]) !== JSON.stringify(actual.tables[table]))
}

/** Whether the two runs agree on every statement and every table. */
export function runsAgree(expected: SideRun, actual: SideRun, rowCountCompared = EVERY_COUNT): boolean {
  return differingStatements(expected, actual, rowCountCompared).length === 0 && differingTables(expected, actual).length === 0
}
