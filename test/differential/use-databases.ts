import { afterAll, beforeAll } from 'vitest'
import { createTestDatabase, type TestDatabase, type TestDialect } from '../support/databases.js'
import type { OracleDialect } from './model.js'

/** The oracle and subject databases of a suite: created once in beforeAll, reused by every scenario, dropped in afterAll. */
export function useDatabasePair(
  oracleDialect: OracleDialect,
  subjectDialect: TestDialect,
): { oracle: TestDatabase; subject: TestDatabase } {
  const databases = {} as { oracle: TestDatabase; subject: TestDatabase }
  beforeAll(async () => {
    ;[databases.oracle, databases.subject] = await Promise.all([
      createTestDatabase(oracleDialect, 'diff_native'),
      createTestDatabase(subjectDialect, 'diff_guarded'),
    ])
  })
  afterAll(async () => {
    await Promise.all([databases.oracle?.drop(), databases.subject?.drop()])
  })
  return databases
}
