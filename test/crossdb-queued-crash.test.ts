import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../src/config/normalize.js'
import { createGuard, type Guard } from '../src/enforce/guard.js'
import type { DatabasePair } from './crossdb/fixture.js'
import { count, createSplitShop, crossOrphans, jobRows, QUEUED_RELATIONS } from './crossdb/queued.js'
import { type CliResult, runCli, startCli, writeTempFiles } from './support/cli.js'
import type { TestDialect } from './support/databases.js'
import { seededRandom } from './support/random.js'

/*
 * Crash safety of queued cascades across databases: worker processes (the built CLI, serving the parent database)
 * are SIGKILLed at seeded random moments of a cascade of 3,200 orders and their 3,200 lines in the child database,
 * then restarted; a last worker drains the queue. Afterwards: no orphan, every job done, and every row of the
 * customers that stay is still there.
 */

/** 40 customers with 100 orders each (a line per order, a payment per customer); customers 1-32 are deleted, 8 per statement. */
const SIZE = { customers: 40, orders: 100 }
const DELETED = 32
const STATEMENTS = 4
/** SIGKILLs per pair, each while work is left; two worker processes run (and die) together. */
const KILLS = 3
const BATCH = 50
const WORKER_ARGS = [
  'worker',
  '--database',
  'billing',
  '--batch-size',
  String(BATCH),
  '--lease',
  '1s',
  '--poll',
  '50ms',
  '--backoff',
  '50ms',
]

// Child engine, parent engine: PostgreSQL to PostgreSQL, and MariaDB children of PostgreSQL parents.
for (const [childDialect, parentDialect, seed] of [
  ['postgres', 'postgres', 11],
  ['mariadb', 'postgres', 12],
] as const satisfies Array<[TestDialect, TestDialect, number]>) {
  describe(`queued cascade across databases survives SIGKILLed workers: children on ${childDialect}, parents on ${parentDialect}`, () => {
    let pair: DatabasePair
    let parentGuard: Guard
    let childGuard: Guard
    let config: string

    beforeAll(async () => {
      pair = await createSplitShop(childDialect, parentDialect, 'xcrash', SIZE)
      const resolved = resolveConfig(pair.config(QUEUED_RELATIONS))
      parentGuard = await createGuard(resolved, { database: 'billing' })
      childGuard = await createGuard(resolved)
      config = join(writeTempFiles({ 'refguard.config.json': JSON.stringify(pair.config(QUEUED_RELATIONS)) }), 'refguard.config.json')
    })
    afterAll(async () => {
      await parentGuard?.close()
      await childGuard?.close()
      await pair?.drop()
    })

    it(
      `finishes after ${KILLS} kills at random points: no orphans, every job done, nothing else deleted`,
      { timeout: 180_000 },
      async () => {
        const perStatement = DELETED / STATEMENTS
        let statements = 0
        const deleteNext = async () => {
          const ids = Array.from({ length: perStatement }, (_, j) => statements * perStatement + j + 1)
          await parentGuard.db.deleteFrom('customers').where('id', 'in', ids).execute()
          statements++
        }
        await deleteNext()
        await deleteNext()
        const next = seededRandom(seed)
        const open = async () => (await jobRows(pair.parent)).filter((job) => job.state === 'pending' || job.state === 'running').length
        const claimedBy = async (pids: number[]) => {
          const patterns = pids.map((pid) => sql`locked_by like ${`%:${pid}:%`}`)
          const deadline = Date.now() + 20_000
          while ((await count(pair.parent, 'refguard_jobs', sql`(${sql.join(patterns, sql` or `)})`)) === 0) {
            if (Date.now() > deadline) throw new Error('the workers claimed no job within 20 s')
            await sleep(10)
          }
        }
        // Orders (and as many lines) of the customers deleted so far that the cascade has not reached yet.
        const doomedRows = async () => (await count(pair.child, 'orders', sql`customer_id <= ${statements * perStatement}`)) * 2
        const killedAt: number[] = []
        while (killedAt.length < KILLS) {
          if ((await open()) === 0) {
            if (statements === STATEMENTS) break
            await deleteNext()
          }
          const workers = [startCli([...WORKER_ARGS, '--config', config]), startCli([...WORKER_ARGS, '--config', config])]
          // The kill falls at a seeded share (5-60%) of the rows left when either worker first claims a job.
          const share = 0.05 + next() * 0.55
          await claimedBy(workers.map((worker) => worker.child.pid as number))
          const pendingAtStart = await doomedRows()
          const started = Date.now()
          // Until that share is done, or the jobs are (then the kill finds nothing to interrupt and does not count).
          while ((await doomedRows()) > pendingAtStart * (1 - share) && (await open()) > 0 && Date.now() - started < 20_000) await sleep(2)
          for (const worker of workers) worker.child.kill('SIGKILL')
          const results: CliResult[] = await Promise.all(workers.map((worker) => worker.result))
          // A worker that ended by itself (a crash of its own) would hide behind the kill: each must have died of it.
          expect(results.map((result) => [result.signal, result.stderr])).toEqual([
            ['SIGKILL', ''],
            ['SIGKILL', ''],
          ])
          if ((await open()) > 0) killedAt.push(await doomedRows())
        }
        while (statements < STATEMENTS) await deleteNext()
        // Each kill came mid-cascade.
        expect(killedAt).toHaveLength(KILLS)

        const drained = await runCli([...WORKER_ARGS, '--config', config, '--once'])
        expect(drained.stderr).toBe('')
        expect(drained.code).toBe(0)

        expect(await crossOrphans(childGuard)).toEqual({ orders_customer: 0, payments_customer: 0 })
        const jobs = await jobRows(pair.parent)
        expect(jobs.every((job) => job.state === 'done')).toBe(true)
        expect(jobs.filter((job) => job.relation === 'orders_customer')).toHaveLength(STATEMENTS)
        // A batch killed between its child commit and its progress record is redone and finds nothing: counts may fall short, never over.
        const counted = jobs.filter((job) => job.relation === 'orders_customer').reduce((total, job) => total + job.rows, 0)
        expect(counted).toBeLessThanOrEqual(DELETED * SIZE.orders)
        expect(counted).toBeGreaterThanOrEqual(DELETED * SIZE.orders - KILLS * 2 * BATCH)

        const kept = (SIZE.customers - DELETED) * SIZE.orders
        expect(await count(pair.parent, 'customers')).toBe(SIZE.customers - DELETED)
        expect(await count(pair.child, 'orders')).toBe(kept)
        expect(await count(pair.child, 'orders', sql`id > ${DELETED * SIZE.orders} and customer_id > ${DELETED}`)).toBe(kept)
        expect(await count(pair.child, 'order_lines')).toBe(kept)
        expect(await count(pair.child, 'order_lines', sql`id > ${DELETED * SIZE.orders} and order_id = id`)).toBe(kept)
        expect(await count(pair.child, 'payments', sql`customer_id is null`)).toBe(DELETED)
        expect(await count(pair.child, 'payments', sql`customer_id = id`)).toBe(SIZE.customers - DELETED)
      },
    )
  })
}
