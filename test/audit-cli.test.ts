import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCheck } from '../src/audit/check.js'
import { resolveConfig } from '../src/config/normalize.js'
import { openDatabase } from '../src/db/connect.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { createGuard } from '../src/enforce/guard.js'
import { AUDIT_FIXTURE, AUDIT_RELATIONS } from './audit/fixture.js'
import { runCli, writeTempFiles } from './support/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

const ENFORCEABLE = ['orders(customer_id) -> customers(id) on delete cascade', 'order_items(order_id) -> orders(id) on delete cascade']
const CLEAN_WITH_WARNINGS = ['declared_child(parent_id) -> declared_parent(id)']

/** Drops what differs between two runs of the same check: timings. */
function withoutTimings(report: any): unknown {
  return { ...report, ms: 0, relations: report.relations.map((relation: any) => ({ ...relation, ms: 0 })) }
}

for (const dialect of DIALECTS) {
  describe(`check command on ${dialect}`, () => {
    let test: TestDatabase
    let dir: string
    const cli = (file: string, ...args: string[]) => runCli(['check', '--config', join(dir, file), ...args])

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'auditcli')
      await test.exec(AUDIT_FIXTURE)
      if (dialect !== 'pglite') {
        await test.exec(
          dialect === 'mariadb'
            ? 'create view slow_regions as select id from regions where sleep(0.5) = 0'
            : 'create view slow_regions as select r.id from regions r cross join (select pg_sleep(0.5)) as s',
        )
      }
      await test.disconnect()
      const config = (relations: unknown[]) => JSON.stringify({ databases: { main: { url: test.url } }, relations })
      dir = writeTempFiles({
        'all.json': config(AUDIT_RELATIONS),
        'enforceable.json': config(ENFORCEABLE),
        'warnings.json': config(CLEAN_WITH_WARNINGS),
        'slow.json': config(['customers(id) -> slow_regions(id)']),
      })
    })
    afterAll(() => test?.drop())

    it('--fail-on decides whether warnings fail the run', async () => {
      expect((await cli('warnings.json')).code).toBe(0)
      const strict = await cli('warnings.json', '--fail-on', 'warning')
      expect(strict.code).toBe(1)
      expect(strict.stdout).toContain('FAILED: 0 error(s), 1 warning(s)')
    })

    it('--baseline fails only on findings that are new or grew', async () => {
      const first = await cli('all.json', '--json')
      expect(first.code).toBe(1)
      const baseline = join(dir, 'baseline.json')
      writeFileSync(baseline, first.stdout)
      const again = await cli('all.json', '--json', '--baseline', baseline)
      expect(again.code).toBe(0)
      expect(JSON.parse(again.stdout).findings.every((f: any) => f.baseline === true)).toBe(true)

      const db = await createTestDatabase(dialect, 'auditbase')
      try {
        await db.exec(AUDIT_FIXTURE)
        await db.exec('insert into order_items values (9, 2), (11, 1)')
        await db.disconnect()
        const grown = join(dir, 'grown.json')
        writeFileSync(grown, JSON.stringify({ databases: { main: { url: db.url } }, relations: AUDIT_RELATIONS }))
        const result = await runCli(['check', '--config', grown, '--json', '--baseline', baseline])
        expect(result.code).toBe(1)
        const fresh = JSON.parse(result.stdout).findings.filter((f: any) => !f.baseline)
        expect(fresh.map((f: any) => [f.kind, f.relation, f.count])).toEqual([['orphans', 'order_items_order_id_fkey', 3]])
      } finally {
        await db.drop()
      }
    })

    it('exits 2 with an incomplete report when --max-time runs out', async () => {
      const result = await cli('all.json', '--json', '--max-time', '0s')
      expect(result.code).toBe(2)
      const report = JSON.parse(result.stdout)
      expect(report.complete).toBe(false)
      const text = await cli('all.json', '--max-time', '0')
      expect(text.code).toBe(2)
      expect(text.stdout).toContain('INCOMPLETE')
      expect(text.stdout).not.toContain('OK:')
    })

    // PGlite runs in-process and cannot cancel a running statement: there --max-time is checked between chunks only.
    if (dialect !== 'pglite')
      it('reports a chunk that runs past --chunk-timeout as incomplete (exit 2)', async () => {
        const result = await cli('slow.json', '--json', '--chunk-rows', '2', '--chunk-timeout', '200ms')
        expect(result.code).toBe(2)
        const relation = JSON.parse(result.stdout).relations[0]
        expect(relation).toMatchObject({ complete: false, scan: { mode: 'chunked' } })
        expect(relation.scan.note).toContain('--chunk-timeout (200 ms)')
      })

    // The audit only reads: a user that may only SELECT (as on a replica) runs it in chunks, with timeouts.
    if (dialect !== 'pglite')
      it('runs with a read-only user', async () => {
        const asOwner = async (statement: string) => {
          const owner = await openDatabase('main', test.url)
          await sql.raw(statement).execute(owner.db)
          await owner.close()
        }
        const user = `rg_reader_${Math.random().toString(36).slice(2, 8)}`
        const admin = await createTestDatabase(dialect, 'auditadmin')
        const database = new URL(test.url).pathname.slice(1)
        const grants =
          dialect === 'postgres'
            ? `create role ${user} login; alter role ${user} set default_transaction_read_only = on;
               grant connect on database ${database} to ${user}`
            : `create user ${user}@'%'; grant select on ${database}.* to ${user}@'%'`
        try {
          await admin.exec(grants)
          if (dialect === 'postgres') await asOwner(`grant select on all tables in schema public to ${user}`)
          const url = new URL(test.url)
          url.username = user
          const file = join(dir, 'reader.json')
          writeFileSync(file, JSON.stringify({ databases: { main: { url: url.toString() } }, relations: AUDIT_RELATIONS }))
          const result = await runCli(['check', '--config', file, '--json', '--chunk-rows', '2', '--chunk-timeout', '10s'])
          expect(result.stderr).toBe('')
          const report = JSON.parse(result.stdout)
          expect(report.complete).toBe(true)
          expect(report.relations.find((r: any) => r.name === 'orders_customer_id_fkey')).toMatchObject({
            orphans: 2,
            scan: { mode: 'chunked' },
          })
        } finally {
          if (dialect === 'postgres') await asOwner(`revoke select on all tables in schema public from ${user}`)
          await admin.exec(
            dialect === 'postgres' ? `revoke connect on database ${database} from ${user}; drop role ${user}` : `drop user ${user}@'%'`,
          )
          await admin.drop()
        }
      })

    it('writes markdown for a pull request and a self-contained HTML file', async () => {
      const markdown = await cli('all.json', '--format', 'markdown')
      expect(markdown.code).toBe(1)
      expect(markdown.stdout).toContain('| orders_customer_id_fkey |')
      const out = join(dir, 'report.html')
      const html = await cli('all.json', '--format', 'html', '--out', out)
      expect(html.code).toBe(1)
      expect(html.stdout).toBe('')
      const page = readFileSync(out, 'utf8')
      expect(page).toContain('<svg')
      expect(page).toContain('data-relation="orders_customer_id_fkey"')
    })

    it('fits the text report in 100 columns', async () => {
      const result = await cli('all.json')
      const widest = Math.max(...result.stdout.split('\n').map((line) => line.length))
      expect(widest).toBeLessThanOrEqual(100)
    })

    it('guard.check() returns the same data as check --json', async () => {
      const cliReport = JSON.parse((await cli('enforceable.json', '--json')).stdout)
      const config = resolveConfig({ databases: { main: test.url }, relations: ENFORCEABLE })
      const databases = new DatabaseSet(config)
      try {
        const main = await databases.get('main')
        const guard = await createGuard({ db: main.db, relations: ENFORCEABLE })
        expect(withoutTimings(await guard.check())).toEqual(withoutTimings(cliReport))
        expect(withoutTimings(await runCheck(config, databases))).toEqual(withoutTimings(cliReport))
      } finally {
        await databases.close()
      }
    })
  })
}
