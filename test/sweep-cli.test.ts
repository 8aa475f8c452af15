import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createGuard, type Guard } from '../src/index.js'
import { runCli, startCli, writeTempFiles } from './support/cli.js'
import type { TestDatabase, TestDialect } from './support/databases.js'
import { seededRandom } from './support/random.js'
import { countRows, createShopDatabase, emptyShop, fillShop, orphans } from './queue/fixture.js'

/*
 * `refguard sweep` as a process: its output and exit codes, --cron, and crash safety: the sweeper is
 * SIGKILLed at seeded random moments of a sweep and run again, until it finishes; afterwards no orphan,
 * no soft-deleted customer left, and every row of the customers that stay is there.
 */

/** 24 customers, 50 orders each, 10 lines per order, a note per line; customers 1-16 are soft-deleted. */
const SIZE = { customers: 24, orders: 50, lines: 10 }
const DELETED = 16
const KILLS = 6

const RELATIONS = [
  'orders(customer_id) -> customers(id) on delete cascade',
  'order_lines(order_id) -> orders(id) on delete cascade',
  'line_notes(line_id) -> order_lines(id) on delete cascade',
]
const SOFT_DELETE = { customers: { column: 'deleted_at' } }

// PGlite is embedded in one process: the CLI and the test cannot both hold it open.
for (const [dialect, seed] of [
  ['postgres', 11],
  ['mariadb', 12],
] as const satisfies Array<[TestDialect, number]>) {
  describe(`refguard sweep on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard
    let config: string
    const liveRows = async () => ({
      customers: await countRows(test.db, 'customers', sql`id > ${DELETED}`),
      orders: await countRows(test.db, 'orders', sql`customer_id > ${DELETED}`),
      lines: await countRows(test.db, 'order_lines', sql`order_id > ${DELETED * SIZE.orders}`),
      notes: await countRows(test.db, 'line_notes', sql`line_id > ${DELETED * SIZE.orders * SIZE.lines}`),
    })
    const expectedLive = {
      customers: SIZE.customers - DELETED,
      orders: (SIZE.customers - DELETED) * SIZE.orders,
      lines: (SIZE.customers - DELETED) * SIZE.orders * SIZE.lines,
      notes: (SIZE.customers - DELETED) * SIZE.orders * SIZE.lines,
    }

    beforeAll(async () => {
      test = await createShopDatabase(dialect, 'sweep_cli')
      await test.exec('alter table customers add deleted_at timestamp null')
      guard = await createGuard({ db: test.db, relations: RELATIONS, softDelete: SOFT_DELETE })
      const body = JSON.stringify({ databases: { main: test.url }, relations: RELATIONS, softDelete: SOFT_DELETE })
      config = join(writeTempFiles({ 'refguard.config.json': body }), 'refguard.config.json')
    })
    beforeEach(async () => {
      await emptyShop(test)
      await fillShop(test.db, dialect, SIZE)
      await guard.db.deleteFrom('customers').where('id', '<=', DELETED).execute()
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('--once --json sweeps everything and prints one report', async () => {
      const result = await runCli(['sweep', '--config', config, '--once', '--json', '--batch-size', '200'])
      expect(result.code, result.stderr).toBe(0)
      const report = JSON.parse(result.stdout)
      expect(report).toMatchObject({
        ok: true,
        stopped: false,
        tables: [{ table: expect.stringMatching(/customers$/), deleted: DELETED, remaining: 0 }],
      })
      expect(report.relations).toEqual([
        expect.objectContaining({ relation: 'orders_customer_id_fkey', action: 'cascade', rows: DELETED * SIZE.orders }),
      ])
      expect(await orphans(test.db)).toMatchObject({ orders: 0, order_lines: 0, line_notes: 0 })
      expect(await countRows(test.db, 'customers')).toBe(SIZE.customers - DELETED)
      expect(await liveRows()).toEqual(expectedLive)
    })

    it('--cron sweeps on schedule and stops cleanly on SIGTERM', { timeout: 30_000 }, async () => {
      const cli = startCli(['sweep', '--config', config, '--cron', '* * * * * *', '--json'])
      for (let waited = 0; (await countRows(test.db, 'customers')) > SIZE.customers - DELETED && waited < 20_000; waited += 100)
        await sleep(100)
      await sleep(1500)
      cli.child.kill('SIGTERM')
      const result = await cli.result
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toContain('scheduled "* * * * * *"')
      const runs = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
      expect(runs.length).toBeGreaterThanOrEqual(2)
      expect(runs.reduce((sum: number, run: { relations: Array<{ rows: number }> }) => sum + (run.relations[0]?.rows ?? 0), 0)).toBe(
        DELETED * SIZE.orders,
      )
      expect(await liveRows()).toEqual(expectedLive)
    })

    it(`finishes after ${KILLS} SIGKILLs at random points: no orphans, nothing else deleted`, { timeout: 120_000 }, async () => {
      const next = seededRandom(seed)
      const total = DELETED * SIZE.orders
      for (let kill = 0; kill < KILLS; kill++) {
        const left = await countRows(test.db, 'orders', sql`customer_id <= ${DELETED}`)
        if (left === 0) break
        const stopAt = Math.floor(left * next() * 0.9)
        const cli = startCli(['sweep', '--config', config, '--once', '--batch-size', '10'])
        let ended = false
        void cli.result.then(() => {
          ended = true
        })
        while (!ended && (await countRows(test.db, 'orders', sql`customer_id <= ${DELETED}`)) > stopAt) await sleep(5)
        cli.child.kill('SIGKILL')
        const result = await cli.result
        expect(result.signal, `kill ${kill}: the sweep ended by itself (exit ${result.code}): ${result.stderr}`).toBe('SIGKILL')
        // Every batch is a transaction: the notes of the lines of an order go with the order, or none of them do.
        expect(await orphans(test.db)).toMatchObject({ order_lines: 0, line_notes: 0 })
      }
      expect(await countRows(test.db, 'orders', sql`customer_id <= ${DELETED}`)).toBeLessThan(total)
      const last = await runCli(['sweep', '--config', config, '--once', '--json'])
      expect(last.code, last.stderr).toBe(0)
      expect(JSON.parse(last.stdout)).toMatchObject({ ok: true, tables: [{ remaining: 0 }] })
      expect(await orphans(test.db)).toMatchObject({ orders: 0, order_lines: 0, line_notes: 0 })
      expect(await countRows(test.db, 'customers')).toBe(SIZE.customers - DELETED)
      expect(await liveRows()).toEqual(expectedLive)
    })

    it('two sweeps at once finish the work, each row acted on once', async () => {
      const [first, second] = await Promise.all([guard.sweep({ batchSize: 20 }), guard.sweep({ batchSize: 20 })])
      const rows = (first.relations[0]?.rows ?? 0) + (second.relations[0]?.rows ?? 0)
      expect(rows).toBe(DELETED * SIZE.orders)
      expect((first.tables[0]?.deleted ?? 0) + (second.tables[0]?.deleted ?? 0)).toBe(DELETED)
      expect(await liveRows()).toEqual(expectedLive)
    })
  })
}

describe('refguard sweep: bad input', () => {
  const config = join(
    writeTempFiles({ 'refguard.config.json': JSON.stringify({ databases: { main: 'pglite://memory' }, relations: [] }) }),
    'refguard.config.json',
  )

  it('an invalid cron expression is a usage error with an example', async () => {
    const result = await runCli(['sweep', '--config', config, '--cron', 'every five minutes'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--cron "every five minutes" is not a cron expression')
    expect(result.stderr).toContain('fix: use five or six fields, e.g. --cron "*/5 * * * *"')
  })

  it('--once and --cron together are a usage error', async () => {
    const result = await runCli(['sweep', '--config', config, '--once', '--cron', '* * * * *', '--json'])
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { type: 'usage' } })
  })

  it('a config without soft-deleted tables sweeps nothing', async () => {
    const result = await runCli(['sweep', '--config', config, '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, relations: [], tables: [] })
  })
})
