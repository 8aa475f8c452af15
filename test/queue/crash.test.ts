import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGuard, type Guard } from '../../src/index.js'
import { type CliResult, runCli, startCli, writeTempFiles } from '../support/cli.js'
import type { TestDatabase, TestDialect } from '../support/databases.js'
import {
  countRows,
  createShopDatabase,
  fillShop,
  jobStates,
  jobs,
  NO_ORPHANS,
  orphans,
  QUEUE_RELATIONS,
  RELATION_NAMES,
} from './fixture.js'
import { seededRandom } from '../support/random.js'

/*
 * Crash safety of queued cascades: worker processes (the built CLI) are SIGKILLed at seeded random moments
 * of a cascade of 100,800 descendants over three levels (4,800 orders -> 48,000 lines -> 48,000 notes),
 * then restarted, again and again; a last worker drains the queue. Afterwards: no orphan, every job done,
 * every job's rows counted exactly once, and the rows of the customers that stay are all there. On PostgreSQL also
 * with the notes queued: then notes are a leaf table, whose batches a worker sends in runs on the server (a kill
 * leaves the server to finish the run under way).
 */

/** 40 customers, 150 orders each, 10 lines per order, a note per line. */
const SIZE = { customers: 40, orders: 150, lines: 10 }
/** Customers 1-32 are deleted, 8 per statement, 33-40 stay. */
const DELETED = 32
const STATEMENTS = 4
/** The first wave deletes customers 1-24; the second, 25-32, when the first is done (or the kills are), so kills never run out of work. */
const FIRST_WAVE = 3
/** SIGKILLs per case, each while work is left; two worker processes run (and die) together. */
const KILLS = 10
const WORKER_ARGS = ['worker', '--batch-size', '100', '--lease', '2s', '--poll', '100ms', '--backoff', '100ms']

/** Where the cascade stood when the workers died. */
interface KillPoint {
  afterMs: number
  openJobs: number
  /** Orders, lines and notes left. */
  rows: number
}

const NOTES_QUEUED = QUEUE_RELATIONS.map((relation) => (relation.startsWith('line_notes') ? `${relation} mode queued` : relation))

// PGlite is embedded in one process: no worker processes to kill beside the test's own connection.
for (const [dialect, seed, relations, label] of [
  ['postgres', 1, QUEUE_RELATIONS, ''],
  ['postgres', 3, NOTES_QUEUED, ', notes queued (a leaf)'],
  ['mariadb', 2, QUEUE_RELATIONS, ''],
] as const satisfies Array<[TestDialect, number, string[], string]>) {
  describe(`queued cascade survives SIGKILLed workers on ${dialect}${label}`, () => {
    let test: TestDatabase
    let guard: Guard
    let config: string

    beforeAll(async () => {
      test = await createShopDatabase(dialect, 'queue_crash')
      await fillShop(test.db, dialect, SIZE)
      guard = await createGuard({ db: test.db, relations })
      config = join(
        writeTempFiles({ 'refguard.config.json': JSON.stringify({ databases: { main: test.url }, relations }) }),
        'refguard.config.json',
      )
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it(
      `finishes after ${KILLS} kills at random points: no orphans, every job done once, nothing else deleted`,
      { timeout: 150_000 },
      async () => {
        const perStatement = DELETED / STATEMENTS
        let statements = 0
        const deleteNext = async () => {
          const ids = Array.from({ length: perStatement }, (_, j) => statements * perStatement + j + 1)
          await guard.db.deleteFrom('customers').where('id', 'in', ids).execute()
          statements++
        }
        while (statements < FIRST_WAVE) await deleteNext()
        const next = seededRandom(seed)
        const open = async () => {
          const states = await jobStates(test.db)
          return (states.pending ?? 0) + (states.running ?? 0)
        }
        const claimedBy = async (pids: number[]) => {
          const patterns = pids.map((pid) => sql`locked_by like ${`%:${pid}:%`}`)
          const deadline = Date.now() + 20_000
          while ((await countRows(test.db, 'refguard_jobs', sql`(${sql.join(patterns, sql` or `)})`)) === 0) {
            if (Date.now() > deadline) throw new Error('the workers claimed no job within 20 s')
            await sleep(20)
          }
        }
        const rowsLeft = async () =>
          (await countRows(test.db, 'orders')) + (await countRows(test.db, 'order_lines')) + (await countRows(test.db, 'line_notes'))
        /** Rows of deleted customers not yet cascaded: every customer has the same rows until it is deleted. */
        const doomedRows = async () => (await rowsLeft()) - (await countRows(test.db, 'customers')) * SIZE.orders * (1 + 2 * SIZE.lines)
        const points: KillPoint[] = []
        while (points.length < KILLS) {
          if ((await open()) === 0) {
            if (statements === STATEMENTS) break
            await deleteNext()
          }
          const workers = [startCli([...WORKER_ARGS, '--config', config]), startCli([...WORKER_ARGS, '--config', config])]
          // The kill falls at a seeded share (5-60%) of the rows this round starts with, counted from the first claim of
          // either worker (starting Node takes a while): a fast machine cannot finish the work before it.
          const share = 0.05 + next() * 0.55
          const pendingAtStart = await doomedRows()
          await claimedBy(workers.map((worker) => worker.child.pid as number))
          const started = Date.now()
          while ((await doomedRows()) > pendingAtStart * (1 - share) && Date.now() - started < 20_000) await sleep(5)
          const afterMs = Date.now() - started
          for (const worker of workers) worker.child.kill('SIGKILL')
          const results: CliResult[] = await Promise.all(workers.map((worker) => worker.result))
          // A worker that ended by itself (a crash of its own) would hide behind the kill: each must have died of it.
          expect(results.map((result) => [result.signal, result.stderr])).toEqual([
            ['SIGKILL', ''],
            ['SIGKILL', ''],
          ])
          const openJobs = await open()
          if (openJobs > 0) points.push({ afterMs, openJobs, rows: await rowsLeft() })
        }
        while (statements < STATEMENTS) await deleteNext()
        // Each kill came mid-cascade, and they spread over it (a kill just after a claim finds the rows of the kill before).
        expect(points).toHaveLength(KILLS)
        expect(new Set(points.map((point) => point.rows)).size).toBeGreaterThanOrEqual(KILLS / 2)

        const drained = await runCli([...WORKER_ARGS, '--config', config, '--once'])
        expect(drained.stderr).toBe('')
        expect(drained.code).toBe(0)

        expect(await orphans(test.db)).toEqual(NO_ORPHANS)
        const all = await jobs(test.db)
        expect(all.every((job) => job.state === 'done')).toBe(true)
        const orderJobs = all.filter((job) => job.relation === RELATION_NAMES.orders)
        const lineJobs = all.filter((job) => job.relation === RELATION_NAMES.lines)
        const noteJobs = all.filter((job) => job.relation === RELATION_NAMES.notes)
        expect(orderJobs).toHaveLength(STATEMENTS)
        expect(lineJobs.every((job) => orderJobs.some((parent) => parent.id === job.parentJobId))).toBe(true)
        // A killed batch rolled back its count with its rows: every deleted row was counted by exactly one committed batch.
        const sum = (list: typeof all) => list.reduce((total, job) => total + job.rowsDone, 0)
        expect(sum(orderJobs)).toBe(DELETED * SIZE.orders)
        expect(sum(lineJobs)).toBe(DELETED * SIZE.orders * SIZE.lines)
        // Queued notes: their jobs count every note once; inline ones go with the lines' batches.
        expect(sum(noteJobs)).toBe(relations === NOTES_QUEUED ? DELETED * SIZE.orders * SIZE.lines : 0)
        expect(new Set(lineJobs.flatMap((job) => job.parentKeys.before.map((key) => key[0]))).size).toBe(DELETED * SIZE.orders)

        const keptOrders = (SIZE.customers - DELETED) * SIZE.orders
        const firstKeptOrder = DELETED * SIZE.orders + 1
        const firstKeptLine = DELETED * SIZE.orders * SIZE.lines + 1
        expect(await countRows(test.db, 'customers')).toBe(SIZE.customers - DELETED)
        expect(await countRows(test.db, 'orders')).toBe(keptOrders)
        expect(await countRows(test.db, 'orders', sql`id >= ${firstKeptOrder} and customer_id > ${DELETED}`)).toBe(keptOrders)
        expect(await countRows(test.db, 'order_lines')).toBe(keptOrders * SIZE.lines)
        expect(await countRows(test.db, 'order_lines', sql`id >= ${firstKeptLine}`)).toBe(keptOrders * SIZE.lines)
        expect(await countRows(test.db, 'line_notes', sql`id >= ${firstKeptLine} and line_id = id`)).toBe(keptOrders * SIZE.lines)
        expect(await countRows(test.db, 'line_notes')).toBe(keptOrders * SIZE.lines)
      },
    )
  })
}
