import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/connect.js'
import { createGuard, queueStatus } from '../src/index.js'
import { ensureJobTables } from '../src/queue/tables.js'
import { runCli, writeTempFiles } from './support/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

/** Two relations with 3 + 1 orphans; `orders.customer_id` is smallint against an int key (a warning). */
const SCHEMA = `
create table customers (id int primary key);
create table orders (id int primary key, customer_id smallint);
create index orders_customer on orders (customer_id);
create table order_items (id int primary key, order_id int);
create index order_items_order on order_items (order_id);
insert into customers values (1), (2);
insert into orders values (1, 1), (2, 7), (3, 8), (4, 9);
insert into order_items values (1, 1), (2, 99);
`
const ORPHAN_ROWS = ['insert into orders values (2, 7), (3, 8), (4, 9)', 'insert into order_items values (2, 99)']
const RELATIONS = ['orders(customer_id) -> customers(id)', 'order_items(order_id) -> orders(id)']

/** Drops what differs between two runs of the same check: timings. */
function withoutTimings(report: any): unknown {
  return { ...report, ms: 0, relations: report.relations.map((relation: any) => ({ ...relation, ms: 0 })) }
}

/** The findings of a `check --json` report by severity: what the log must have recorded. */
function severities(report: any): { errors: number; warnings: number } {
  const count = (severity: string) => report.findings.filter((finding: any) => finding.severity === severity).length
  return { errors: count('error'), warnings: count('warning') }
}

for (const dialect of DIALECTS) {
  describe(`last check in refguard status on ${dialect}`, () => {
    let test: TestDatabase
    let file: string
    const cli = (...args: string[]) => runCli([...args, '--config', file])
    // PGlite allows one process at a time on its directory: the test connects only between CLI runs.
    const withDb = async <T>(body: (db: Kysely<any>) => Promise<T>): Promise<T> => {
      const database = await openDatabase('main', test.url)
      try {
        return await body(database.db)
      } finally {
        await database.close()
      }
    }
    const loggedChecks = () =>
      withDb(async (db) => Number((await sql<{ n: unknown }>`select count(*) as n from refguard_checks`.execute(db)).rows[0]?.n))

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'checklog')
      await test.exec(SCHEMA)
      // refguard_jobs only, as before this release: status works, the check log does not exist.
      await ensureJobTables(test.db, dialect === 'mariadb' ? 'mysql' : 'postgres')
      await test.disconnect()
      file = join(writeTempFiles({}), 'refguard.config.json')
      writeFileSync(file, JSON.stringify({ databases: { main: test.url }, relations: RELATIONS }))
    })
    afterAll(() => test?.drop())

    it('without refguard_checks a check prints only its report, and status shows no last check', async () => {
      const check = await cli('check', '--json')
      expect(check.code).toBe(1)
      expect(check.stderr).toBe('')
      expect(JSON.parse(check.stdout).ok).toBe(false)
      const status = await cli('status', '--json')
      expect(status.code).toBe(0)
      expect(JSON.parse(status.stdout)).toMatchObject({ ok: true, lastCheck: null })
      const text = await cli('status')
      expect(text.code).toBe(0)
      expect(text.stdout).toContain('Last check: none recorded (run refguard check; refguard init creates the log)')
    })

    it('init creates refguard_checks, idempotently', async () => {
      for (let i = 0; i < 2; i++) {
        const init = await cli('init', '--json')
        expect(init.code).toBe(0)
        expect(JSON.parse(init.stdout).tables).toContain('refguard_checks')
      }
      expect(await loggedChecks()).toBe(0)
      expect(JSON.parse((await cli('status', '--json')).stdout).lastCheck).toBeNull()
    })

    let first: { at: string }
    it('a check with orphans becomes the last check, with its counts', async () => {
      const started = Date.now()
      const check = await cli('check', '--json')
      const ended = Date.now()
      expect(check.code).toBe(1)
      expect(check.stderr).toBe('')
      const report = JSON.parse(check.stdout)
      const status = await cli('status', '--json')
      expect(status.code).toBe(0)
      const { lastCheck } = JSON.parse(status.stdout)
      expect(lastCheck).toEqual({
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        ok: false,
        complete: true,
        relations: 2,
        orphans: 4,
        ...severities(report),
        ms: Math.round(report.ms),
      })
      expect(lastCheck.errors).toBeGreaterThan(0)
      expect(lastCheck.warnings).toBeGreaterThan(0)
      // The database's clock stamps the row; it runs on this machine, so it agrees with ours to well within a second.
      expect(Date.parse(lastCheck.at)).toBeGreaterThanOrEqual(started - 1000)
      expect(Date.parse(lastCheck.at)).toBeLessThanOrEqual(ended + 1000)
      // Whatever zone the machine running status is in.
      const elsewhere = await runCli(['status', '--json', '--config', file], { env: { TZ: 'America/Los_Angeles' } })
      expect(JSON.parse(elsewhere.stdout).lastCheck).toEqual(lastCheck)
      const text = await cli('status')
      const when = `${lastCheck.at.slice(0, 10)} ${lastCheck.at.slice(11, 19)} UTC`
      expect(text.stdout).toContain(
        `Last check: ${when} — 2 relations, 4 orphans, ${lastCheck.errors} error${lastCheck.errors === 1 ? '' : 's'}, ` +
          `${lastCheck.warnings} warning${lastCheck.warnings === 1 ? '' : 's'} (${(report.ms / 1000).toFixed(1)} s)`,
      )
      first = lastCheck
    })

    it('a later clean check replaces it, in status --json and in queueStatus(guard)', async () => {
      await withDb(async (db) => {
        await sql`delete from order_items where order_id = 99`.execute(db)
        await sql`delete from orders where customer_id > 2`.execute(db)
      })
      const check = await cli('check', '--json')
      expect(check.code).toBe(0)
      const report = JSON.parse(check.stdout)
      const { lastCheck } = JSON.parse((await cli('status', '--json')).stdout)
      expect(lastCheck).toMatchObject({ ok: true, complete: true, relations: 2, orphans: 0, ...severities(report) })
      expect(lastCheck.errors).toBe(0)
      expect(Date.parse(lastCheck.at)).toBeGreaterThan(Date.parse(first.at))
      expect(await loggedChecks()).toBe(2)
      const guard = await createGuard({ databases: { main: test.url }, relations: RELATIONS })
      try {
        expect((await queueStatus(guard)).lastCheck).toEqual(lastCheck)
      } finally {
        await guard.close()
      }
    })

    // PGlite has no users: only the servers can give the check a login that may not write.
    if (dialect !== 'pglite')
      it('a read-only user checks as before: same report, same exit code, nothing recorded', async () => {
        await withDb(async (db) => {
          for (const statement of ORPHAN_ROWS) await sql.raw(statement).execute(db)
        })
        const owner = await cli('check', '--json')
        expect(owner.code).toBe(1)
        const recorded = await loggedChecks()
        const user = `rg_reader_${Math.random().toString(36).slice(2, 8)}`
        const admin = await createTestDatabase(dialect, 'checklogadmin')
        const database = new URL(test.url).pathname.slice(1)
        try {
          await admin.exec(
            dialect === 'postgres'
              ? `create role ${user} login; alter role ${user} set default_transaction_read_only = on;
                 grant connect on database ${database} to ${user}`
              : `create user ${user}@'%'; grant select on ${database}.* to ${user}@'%'`,
          )
          if (dialect === 'postgres') await withDb((db) => sql.raw(`grant select on all tables in schema public to ${user}`).execute(db))
          const url = new URL(test.url)
          url.username = user
          const reader = join(writeTempFiles({}), 'reader.json')
          writeFileSync(reader, JSON.stringify({ databases: { main: url.toString() }, relations: RELATIONS }))
          const result = await runCli(['check', '--config', reader, '--json'])
          expect(result.code).toBe(1)
          expect(withoutTimings(JSON.parse(result.stdout))).toEqual(withoutTimings(JSON.parse(owner.stdout)))
          // The log exists but refuses the insert: one line on stderr says so, stdout stays the report.
          expect(result.stderr).toMatch(/^refguard: check not recorded in refguard_checks, so refguard status will not show it: [^\n]+\n$/)
          expect(await loggedChecks()).toBe(recorded)
        } finally {
          if (dialect === 'postgres') {
            await withDb((db) => sql.raw(`revoke select on all tables in schema public from ${user}`).execute(db))
          }
          await admin.exec(
            dialect === 'postgres' ? `revoke connect on database ${database} from ${user}; drop role ${user}` : `drop user ${user}@'%'`,
          )
          await admin.drop()
        }
      })
  })
}
