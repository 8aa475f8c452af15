import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCheck } from '../src/audit/check.js'
import { resolveConfig } from '../src/config/normalize.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { createTestDatabase, type TestDatabase } from './support/databases.js'

/*
 * PostgreSQL reads reference ranges index-only, which is cheap only while the visibility map covers the table.
 * After a mass delete (the state a repair leaves) each index entry would cost a heap read, so the audit walks
 * the primary key instead. MariaDB has no visibility map: no test there.
 */

/** Enough rows that the table is larger than the "small table" pages (1000). */
const ROWS = 300_000
/** Statistics reach the shared counters within about ten seconds of a write. */
const STATS_WAIT_MS = 20_000

for (const dialect of ['pglite', 'postgres'] as const) {
  describe(`audit chunk choice on ${dialect}`, () => {
    let test: TestDatabase
    const walked = async () => {
      const config = resolveConfig({ databases: { main: test.url }, relations: ['kids(parent_id) -> parents(id)'] })
      const report = await runCheck(config, new DatabaseSet(config, { main: test.database }), { chunkRows: 100_000 })
      return { walked: report.relations[0]?.scan.walked, orphans: report.relations[0]?.orphans }
    }
    /** Repeats `step` until the walked columns are `expected` (statistics arrive late) or the time is up. */
    const until = async (expected: string[], step: () => Promise<void>) => {
      const deadline = Date.now() + STATS_WAIT_MS
      for (;;) {
        await step()
        const result = await walked()
        if (JSON.stringify(result.walked) === JSON.stringify(expected) || Date.now() > deadline) return result
        await sleep(500)
      }
    }

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'visibility')
      await test.exec(`
        create table parents (id int primary key);
        create table kids (id int primary key, parent_id int, payload text) with (autovacuum_enabled = false);
        create index kids_parent_id on kids (parent_id);
        insert into parents select s from generate_series(1, 1000) s;
        insert into kids select s, case when s % 10 = 0 then 5000 + s else s % 1000 + 1 end, md5(s::text) from generate_series(1, ${ROWS}) s`)
    }, 120_000)
    afterAll(() => test?.drop())

    it('walks the reference column once vacuumed, the primary key after a mass delete', { timeout: 90_000 }, async () => {
      // Never vacuumed and analyzed: the visibility map is empty.
      await sql`analyze kids`.execute(test.db)
      expect(await walked()).toEqual({ walked: ['id'], orphans: ROWS / 10 })
      const vacuumed = await until(['parent_id'], async () => {
        await sql`vacuum analyze kids`.execute(test.db)
      })
      expect(vacuumed).toEqual({ walked: ['parent_id'], orphans: ROWS / 10 })
      await sql`delete from kids where id % 7 = 0`.execute(test.db)
      const deleted = await until(['id'], async () => {})
      expect(deleted.walked).toEqual(['id'])
    })
  })
}
