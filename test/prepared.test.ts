import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepared } from '../src/db/prepared.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

for (const dialect of DIALECTS) {
  describe(`a statement marked prepared, on ${dialect}`, () => {
    let test: TestDatabase

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'prepared')
    })
    afterAll(async () => {
      await test?.drop()
    })

    it('returns the same rows as unmarked, run after run with different parameters', async () => {
      await test.db.connection().execute(async (connection) => {
        for (const value of [1, 2, 3, 4, 5, 6, 7]) {
          const { rows } = await prepared(sql<{ doubled: number }>`select ${value} * 2 as ${sql.id('doubled')}`).execute(connection)
          expect(Number(rows[0]?.doubled)).toBe(value * 2)
        }
        if (dialect !== 'postgres') return
        // Only refguard's own PostgreSQL pool makes it a named prepared statement, one per text and connection.
        const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(connection)
        expect(rows.filter((row) => row.name.startsWith('refguard_'))).toHaveLength(1)
      })
    })
  })
}
