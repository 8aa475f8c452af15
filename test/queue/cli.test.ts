import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGuard, type Guard } from '../../src/index.js'
import { runCli, startCli, writeTempFiles } from '../support/cli.js'
import { createTestDatabase, type TestDatabase, type TestDialect } from '../support/databases.js'
import { countRows, fillShop, jobStates, jobs, NO_ORPHANS, orphans, QUEUE_RELATIONS, QUEUE_SCHEMA, RELATION_NAMES } from './fixture.js'

it('worker refuses an unknown transport before connecting (exit 2)', async () => {
  const result = await runCli(['worker', '--transport', 'carrier-pigeon', '--config', '/nonexistent/refguard.config.json'])
  expect(result.code).toBe(2)
  expect(result.stderr).toContain('unknown transport "carrier-pigeon"')
  expect(result.stderr).toContain('fix: use one of: database')
})

it('worker --help names the options and the exit codes', async () => {
  const result = await runCli(['worker', '--help'])
  expect(result.code).toBe(0)
  for (const option of ['--concurrency', '--once', '--batch-size', '--max-attempts', '--lease', '--backoff', '--poll', '--transport']) {
    expect(result.stdout).toContain(option)
  }
  expect(result.stdout).toContain('Exit codes: 0 stopped cleanly, 1 a job was dead-lettered during the run, 2 usage')
})

// The CLI runs beside the test's own connection, which a PGlite directory does not allow: the servers only.
for (const dialect of ['postgres', 'mariadb'] as const satisfies TestDialect[]) {
  describe(`worker, status and init commands on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard
    let dir: string
    const config = (relations: string[]) => {
      const name = `refguard.config.${relations.length}.json`
      dir = writeTempFiles({ [name]: JSON.stringify({ databases: { main: test.url }, relations }) })
      return join(dir, name)
    }

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'queue_cli')
      await test.exec(QUEUE_SCHEMA)
      await fillShop(test.db, dialect, { customers: 4, orders: 3, lines: 30 })
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('status asks for init first (exit 2); init is idempotent; an empty queue is clean', async () => {
      const file = config(QUEUE_RELATIONS)
      const missing = await runCli(['status', '--config', file, '--json'])
      expect(missing.code).toBe(2)
      expect(JSON.parse(missing.stdout).error.message).toMatch(/^refguard_jobs does not exist: run `refguard init`/)
      for (let i = 0; i < 2; i++) {
        const init = await runCli(['init', '--config', file, '--json'])
        expect(init.code).toBe(0)
        expect(JSON.parse(init.stdout).tables).toContain('refguard_jobs')
      }
      const status = await runCli(['status', '--config', file, '--json'])
      expect(status.code).toBe(0)
      const report = JSON.parse(status.stdout)
      expect(report.ok).toBe(true)
      expect(report.relations.map((entry: { relation: string }) => entry.relation)).toEqual([
        RELATION_NAMES.orders,
        RELATION_NAMES.lines,
        RELATION_NAMES.coupons,
        RELATION_NAMES.regions,
      ])
      expect(report.totals).toEqual({ pending: 0, running: 0, failed: 0, dead: 0, doneLastMinute: 0, oldestPendingSeconds: null })
      guard = await createGuard({ db: test.db, relations: QUEUE_RELATIONS })
    })

    it('SIGTERM finishes the batch under way, hands the job back and exits 0', async () => {
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      await guard.db.deleteFrom('orders').where('id', '=', 12).execute()
      const file = config(QUEUE_RELATIONS)
      // Batches of one row, so the run is still under way when the signal comes.
      const worker = startCli(['worker', '--config', file, '--batch-size', '1', '--poll', '50ms'])
      const deadline = Date.now() + 20_000
      while ((await countRows(test.db, 'order_lines')) === 360 && Date.now() < deadline) await sleep(20)
      worker.child.kill('SIGTERM')
      const result = await worker.result
      expect(result.signal).toBeNull()
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/worker \S+ stopped: \d+ jobs done, 0 to retry, 0 dead, \d+ rows/)
      expect(await jobStates(test.db)).not.toHaveProperty('running')
      const drained = await runCli(['worker', '--config', file, '--once', '--poll', '50ms', '--json'])
      expect(drained.code).toBe(0)
      const lines = drained.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
      expect(lines.at(-1)).toMatchObject({ event: 'stopped', ok: true, dead: 0 })
      expect(lines.slice(0, -1).every((line) => line.event === 'job' && line.state === 'done')).toBe(true)
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
      expect(await countRows(test.db, 'order_lines')).toBe(240)
    })

    it('a job whose relation left the configuration dies with the reason; worker and status exit 1', async () => {
      await guard.db.deleteFrom('customers').where('id', '=', 2).execute()
      const file = config(QUEUE_RELATIONS.slice(1))
      const worker = await runCli(['worker', '--config', file, '--once', '--poll', '50ms'])
      expect(worker.code).toBe(1)
      expect(worker.stdout).toMatch(
        /job \d+ dead: orders_customer_id_fkey \(delete\), 0 rows in \d+ ms after attempt 1: relation "orders_customer_id_fkey" is not in the configuration/,
      )
      const status = await runCli(['status', '--config', file])
      expect(status.code).toBe(1)
      expect(status.stdout).toContain('orders_customer_id_fkey (not configured)')
      expect(status.stdout).toMatch(
        /Dead jobs \(newest first\)\n {2}job \d+ orders_customer_id_fkey \(delete\), 1 attempts: relation "orders_customer_id_fkey" is not in the configuration/,
      )
      const json = JSON.parse((await runCli(['status', '--config', file, '--json'])).stdout)
      expect(json).toMatchObject({ ok: false, totals: { dead: 1 } })
      expect(await countRows(test.db, 'orders', sql`customer_id = 2`)).toBe(3)
      expect((await jobs(test.db)).filter((job) => job.state === 'dead')).toHaveLength(1)
    })

    it('worker refuses a concurrency of 0 (exit 2)', async () => {
      const result = await runCli(['worker', '--config', config(QUEUE_RELATIONS), '--concurrency', '0', '--once'])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('concurrency must be at least 1, got 0')
    })
  })
}
