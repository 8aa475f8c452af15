import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGuard, type Guard, type JobEvent } from '../../src/index.js'
import { startCli, writeTempFiles } from '../support/cli.js'
import type { TestDatabase, TestDialect } from '../support/databases.js'
import { countRows, createShopDatabase, fillShop, jobs, NO_ORPHANS, orphans, QUEUE_RELATIONS, RELATION_NAMES } from './fixture.js'

/*
 * Four worker processes drain one queue at once: every job is claimed by exactly one of them (FOR UPDATE SKIP
 * LOCKED and the lease), so each job is done once, and the outcome is exactly what one worker would leave.
 */

const SIZE = { customers: 120, orders: 4, lines: 5 }
/** Customers 1-100 are deleted one statement each: 100 jobs for their orders, 200 for their lines (batches of 3 orders). */
const DELETED = 100
const WORKERS = 4

// PGlite is embedded in one process: several worker processes cannot share it.
for (const dialect of ['postgres', 'mariadb'] as const satisfies TestDialect[]) {
  describe(`${WORKERS} worker processes on one queue on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard

    beforeAll(async () => {
      test = await createShopDatabase(dialect, 'queue_parallel')
      await fillShop(test.db, dialect, SIZE)
      guard = await createGuard({ db: test.db, relations: QUEUE_RELATIONS })
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('apply every job exactly once', { timeout: 90_000 }, async () => {
      for (let id = 1; id <= DELETED; id++) await guard.db.deleteFrom('customers').where('id', '=', id).execute()
      // The coupons' SET NULL job runs beside the orders' deletes: it may or may not reach orders that are about to go.
      const nulled = await countRows(test.db, 'orders', sql`coupon_id in (1, 2) and customer_id > ${DELETED}`)
      const mayNull = await countRows(test.db, 'orders', sql`coupon_id in (1, 2)`)
      await guard.db.deleteFrom('coupons').where('id', 'in', [1, 2]).execute()
      const config = join(
        writeTempFiles({ 'refguard.config.json': JSON.stringify({ databases: { main: test.url }, relations: QUEUE_RELATIONS }) }),
        'refguard.config.json',
      )
      const args = ['worker', '--config', config, '--once', '--json', '--poll', '50ms', '--batch-size', '3']
      const results = await Promise.all(Array.from({ length: WORKERS }, () => startCli(args).result))
      expect(results.map((result) => [result.code, result.stderr])).toEqual(results.map(() => [0, '']))

      const done = new Map<string, Array<JobEvent & { worker: number }>>()
      results.forEach((result, worker) => {
        const lines = result.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line))
        expect(lines.at(-1)).toMatchObject({ event: 'stopped', ok: true, dead: 0, retried: 0 })
        for (const event of lines.slice(0, -1) as Array<JobEvent & { event: string }>) {
          expect(event).toMatchObject({ event: 'job', state: 'done' })
          done.set(event.id, [...(done.get(event.id) ?? []), { ...event, worker }])
        }
      })
      const all = await jobs(test.db)
      expect(all).toHaveLength(DELETED + 2 * DELETED + 1)
      expect(all.every((job) => job.state === 'done')).toBe(true)
      // Each job reported done by exactly one worker, with the rows its row counts.
      expect([...done.keys()].sort()).toEqual(all.map((job) => job.id).sort())
      expect([...done.values()].filter((events) => events.length > 1)).toEqual([])
      for (const job of all) expect(done.get(job.id)?.[0]?.rows).toBe(job.rowsDone)
      expect(new Set([...done.values()].map((events) => events[0]?.worker)).size).toBeGreaterThan(1)

      const kept = SIZE.customers - DELETED
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
      expect(await countRows(test.db, 'orders')).toBe(kept * SIZE.orders)
      expect(await countRows(test.db, 'order_lines')).toBe(kept * SIZE.orders * SIZE.lines)
      expect(await countRows(test.db, 'line_notes')).toBe(kept * SIZE.orders * SIZE.lines)
      const rows = (relation: string) => all.filter((job) => job.relation === relation).reduce((total, job) => total + job.rowsDone, 0)
      expect(rows(RELATION_NAMES.orders)).toBe(DELETED * SIZE.orders)
      expect(rows(RELATION_NAMES.lines)).toBe(DELETED * SIZE.orders * SIZE.lines)
      expect(rows(RELATION_NAMES.coupons)).toBeGreaterThanOrEqual(nulled)
      expect(rows(RELATION_NAMES.coupons)).toBeLessThanOrEqual(mayNull)
    })
  })
}
