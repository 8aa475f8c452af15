import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createGuard, type Guard, type JobEvent } from '../../src/index.js'
import { resolveOptions } from '../../src/queue/transports/options.js'
import type { TransportOptions } from '../../src/queue/transports/transport.js'
import { type CliProcess, type CliResult, runCli, startCli, writeTempFiles } from '../support/cli.js'
import type { TestDatabase, TestDialect } from '../support/databases.js'
import {
  countRows,
  createShopDatabase,
  emptyShop,
  fillShop,
  jobs,
  jobStates,
  NO_ORPHANS,
  orphans,
  QUEUE_RELATIONS,
  RELATION_NAMES,
} from './fixture.js'
import { type Broker, BROKERS, nats, rabbitmq, releaseBrokers, shareBrokers, waitFor, withBrokersExclusive } from './transport-brokers.js'

/*
 * Worker processes (the built CLI) that hear of jobs through RabbitMQ or NATS: the relay in each worker publishes
 * the ids of committed jobs, workers claim the job a message names. The workers run with a long --poll, so the
 * table fallback stays out of reach and the broker path alone has to deliver every job (the fallback has a test
 * of its own). The tests of this file run one after another and hold the brokers (transport-brokers.ts: a lock
 * shared with test/queue/transports.test.ts, whose outage tests stop the same brokers).
 */

/** Longer than any test waits: only messages wake the workers, the table fallback never comes. */
const NO_FALLBACK = ['--poll', '60s']

/** Job ids a worker printed as done, per worker. */
type Done = Array<Array<JobEvent & { event: string }>>

/** Whether every job of the table is done, and there are `count` of them. */
async function allDone(db: Kysely<any>, count: number): Promise<boolean> {
  const states = await jobStates(db)
  return states.done === count && Object.keys(states).length === 1
}

/** The jobs the relay announced (published_at set), by id. */
async function published(db: Kysely<any>): Promise<Set<string>> {
  const { rows } = await sql<{ id: unknown }>`select id from refguard_jobs where published_at is not null`.execute(db)
  return new Set(rows.map((row) => String(row.id)))
}

/** Stops the workers (SIGTERM) and checks that each exited cleanly; their job events. */
async function stopWorkers(workers: CliProcess[], options: { quiet: boolean }): Promise<{ done: Done; stderr: string }> {
  for (const worker of workers) worker.child.kill('SIGTERM')
  const results: CliResult[] = await Promise.all(workers.map((worker) => worker.result))
  const stderr = results.map((result) => result.stderr).join('')
  expect(results.map((result) => [result.code, result.signal])).toEqual(results.map(() => [0, null]))
  if (options.quiet) expect(stderr).toBe('')
  const done = results.map((result) => {
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.at(-1)).toMatchObject({ event: 'stopped', ok: true, dead: 0, retried: 0 })
    return lines.slice(0, -1) as Array<JobEvent & { event: string }>
  })
  return { done, stderr }
}

/** Each job of the table reported done by exactly one worker, with the rows its row counts. */
async function expectEachJobDoneOnce(db: Kysely<any>, done: Done): Promise<void> {
  const events = done.flat()
  expect(events.every((event) => event.event === 'job' && event.state === 'done')).toBe(true)
  const all = await jobs(db)
  expect(events.map((event) => event.id).sort()).toEqual(all.map((job) => job.id).sort())
  for (const job of all) expect(events.find((event) => event.id === job.id)?.rows).toBe(job.rowsDone)
}

beforeAll(async () => {
  await shareBrokers()
  await Promise.all(BROKERS.map((broker) => broker.start()))
})
beforeEach(shareBrokers)
afterEach(releaseBrokers)
afterAll(async () => {
  await shareBrokers()
  await Promise.all(BROKERS.map((broker) => broker.start()))
  releaseBrokers()
})

it('worker refuses an unknown transport, naming the known ones, and --broker without a broker (exit 2)', async () => {
  const unknown = await runCli(['worker', '--transport', 'kafka', '--config', '/nonexistent/refguard.config.json'])
  expect(unknown.code).toBe(2)
  expect(unknown.stderr).toContain('unknown transport "kafka"\n  fix: use one of: database, rabbitmq, nats')
  const stray = await runCli(['worker', '--broker', rabbitmq.url, '--config', '/nonexistent/refguard.config.json'])
  expect(stray.code).toBe(2)
  expect(stray.stderr).toContain('--broker and --queue need a broker transport\n  fix: add --transport rabbitmq or --transport nats')
})

// Worker processes run beside the test's own connection, which a PGlite directory does not allow: the servers only.
for (const dialect of ['postgres', 'mariadb'] as const satisfies TestDialect[]) {
  describe(`worker processes over a broker on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard
    let config: string
    const names: Array<{ broker: Broker; options: TransportOptions }> = []

    /** A fresh queue on `broker`, deleted after the test; the NATS stream and consumer named as a worker given --queue names them. */
    const fresh = (broker: Broker): TransportOptions => {
      const { queue, stream, consumer } = resolveOptions({ queue: broker.freshOptions().queue })
      const options = { queue, stream, consumer }
      names.push({ broker, options })
      return options
    }
    /** `count` worker processes on `broker`'s queue of `options`. */
    const startWorkers = (broker: Broker, options: TransportOptions, count: number, args: string[]): CliProcess[] => {
      const common = ['worker', '--config', config, '--json', '--transport', broker.name, '--broker', broker.url, '--queue', options.queue!]
      return Array.from({ length: count }, () => startCli([...common, ...args]))
    }
    /** Resolves once `count` workers consume from the broker: whatever is published from now on reaches them. */
    const listening = (broker: Broker, options: TransportOptions, count: number) =>
      waitFor(async () => (await broker.consumers(options)) >= count, 20_000, `${count} workers consuming from ${broker.name}`)
    const deleteCustomers = async (from: number, to: number) => {
      for (let id = from; id <= to; id++) await guard.db.deleteFrom('customers').where('id', '=', id).execute()
    }

    beforeAll(async () => {
      test = await createShopDatabase(dialect, 'queue_broker')
      guard = await createGuard({ db: test.db, relations: QUEUE_RELATIONS })
      config = join(
        writeTempFiles({ 'refguard.config.json': JSON.stringify({ databases: { main: test.url }, relations: QUEUE_RELATIONS }) }),
        'refguard.config.json',
      )
    })
    beforeEach(async () => {
      await emptyShop(test)
    })
    afterEach(async () => {
      await Promise.allSettled(names.splice(0).map(({ broker, options }) => broker.cleanUp(options)))
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    for (const broker of BROKERS) {
      it(`completes a cascade over three levels with worker processes over ${broker.name}`, async () => {
        await fillShop(test.db, dialect, { customers: 6, orders: 5, lines: 4 })
        const options = fresh(broker)
        const workers = startWorkers(broker, options, 2, [...NO_FALLBACK, '--batch-size', '7'])
        await listening(broker, options, 2)
        await guard.db.deleteFrom('customers').where('id', 'in', [1, 2, 3]).execute()
        await guard.db.deleteFrom('coupons').where('id', '=', 2).execute()
        // The customers' job, its three jobs for the lines of 15 orders in batches of 7, the coupon's SET NULL job.
        await waitFor(() => allDone(test.db, 5), 20_000, 'five jobs done')
        const { done } = await stopWorkers(workers, { quiet: true })

        await expectEachJobDoneOnce(test.db, done)
        expect(await orphans(test.db)).toEqual(NO_ORPHANS)
        expect(await countRows(test.db, 'orders')).toBe(15)
        expect(await countRows(test.db, 'order_lines')).toBe(60)
        expect(await countRows(test.db, 'line_notes')).toBe(60)
      })

      // The brokers are this test's alone from before the workers start: a wait for them would eat into the workers' poll.
      it(`loses nothing when ${broker.name} goes away mid-run, and completes after it is back`, { timeout: 150_000 }, () =>
        withBrokersExclusive(async () => {
          await fillShop(test.db, dialect, { customers: 30, orders: 4, lines: 5 })
          const options = fresh(broker)
          const workers = startWorkers(broker, options, 2, [...NO_FALLBACK, '--batch-size', '2'])
          let stderr = ''
          for (const worker of workers) worker.child.stderr?.on('data', (chunk) => (stderr += chunk))
          const open = async () => {
            const states = await jobStates(test.db)
            return (states.pending ?? 0) + (states.running ?? 0)
          }
          try {
            await listening(broker, options, 2)
            await deleteCustomers(1, 10)
            await waitFor(async () => ((await jobStates(test.db)).done ?? 0) >= 3, 20_000, 'the first jobs done')
            // Mid-run: jobs pending and running as the broker goes.
            expect(await open()).toBeGreaterThan(0)
            await broker.stop()
            // The workers finish what they can claim from the table and go idle, waiting for messages.
            await waitFor(async () => (await open()) === 0, 30_000, 'the jobs claimable without the broker done')
            // Ten jobs committed at once while the broker is away, and no worker awake: only a relay can announce them,
            // once the broker is back. It comes back only after a relay has failed to publish them (after 5 s).
            const known = new Set((await jobs(test.db)).map((job) => job.id))
            await guard.db.transaction().execute(async (trx) => {
              for (let id = 11; id <= 20; id++) await trx.deleteFrom('customers').where('id', '=', id).execute()
            })
            const whileAway = (await jobs(test.db)).filter((job) => !known.has(job.id)).map((job) => job.id)
            expect(whileAway).toHaveLength(10)
            await waitFor(() => / 10 of 10 job messages/.test(stderr), 20_000, 'a relay to report that it could not publish them')
            expect(await open()).toBe(10)
            // Not one of them counts as published: the relay records only what the broker confirmed.
            const early = await published(test.db)
            expect(whileAway.filter((id) => early.has(id))).toEqual([])
            await broker.start()
            // Done before any other work comes along to wake the workers (a worker through with a job claims on from the table).
            await waitFor(async () => (await open()) === 0, 30_000, 'the jobs committed while the broker was away done after it is back')
            await deleteCustomers(21, 30)
            // Each customer: a job for its 4 orders, which writes two jobs for their lines (batches of 2 orders).
            await waitFor(() => allDone(test.db, 30 * 3), 45_000, 'every job done after the broker is back')
          } catch (error) {
            for (const worker of workers) worker.child.kill('SIGKILL')
            throw error
          } finally {
            await broker.start()
          }
          const { done } = await stopWorkers(workers, { quiet: false })
          await expectEachJobDoneOnce(test.db, done)

          expect(await orphans(test.db)).toEqual(NO_ORPHANS)
          expect(await countRows(test.db, 'customers')).toBe(0)
          expect(await countRows(test.db, 'orders')).toBe(0)
          expect(await countRows(test.db, 'line_notes')).toBe(0)
          expect(stderr).toContain(`lost the connection to ${broker === rabbitmq ? 'RabbitMQ' : 'NATS'}`)
          expect(stderr).toContain(`reconnected to ${broker.name}`)
        }),
      )
    }

    it('4 worker processes over RabbitMQ apply every job exactly once', { timeout: 90_000 }, async () => {
      const size = { customers: 60, orders: 4, lines: 5 }
      const deleted = 50
      await fillShop(test.db, dialect, size)
      const options = fresh(rabbitmq)
      const workers = startWorkers(rabbitmq, options, 4, [...NO_FALLBACK, '--batch-size', '3'])
      await listening(rabbitmq, options, 4)
      await deleteCustomers(1, deleted)
      const nulled = await countRows(test.db, 'orders', sql`coupon_id in (1, 2) and customer_id > ${deleted}`)
      const mayNull = await countRows(test.db, 'orders', sql`coupon_id in (1, 2)`)
      await guard.db.deleteFrom('coupons').where('id', 'in', [1, 2]).execute()
      // A job per customer for its 4 orders, which writes two for their lines (batches of 3 orders), and the coupons' job.
      await waitFor(() => allDone(test.db, 3 * deleted + 1), 60_000, 'every job done')
      const { done } = await stopWorkers(workers, { quiet: true })

      await expectEachJobDoneOnce(test.db, done)
      expect(done.filter((events) => events.length > 0).length).toBeGreaterThan(1)
      const kept = size.customers - deleted
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
      expect(await countRows(test.db, 'orders')).toBe(kept * size.orders)
      expect(await countRows(test.db, 'order_lines')).toBe(kept * size.orders * size.lines)
      expect(await countRows(test.db, 'line_notes')).toBe(kept * size.orders * size.lines)
      const all = await jobs(test.db)
      const rows = (relation: string) => all.filter((job) => job.relation === relation).reduce((total, job) => total + job.rowsDone, 0)
      expect(rows(RELATION_NAMES.orders)).toBe(deleted * size.orders)
      expect(rows(RELATION_NAMES.lines)).toBe(deleted * size.orders * size.lines)
      expect(rows(RELATION_NAMES.coupons)).toBeGreaterThanOrEqual(nulled)
      expect(rows(RELATION_NAMES.coupons)).toBeLessThanOrEqual(mayNull)
    })

    it('a waiting worker still claims from the table a job no message announced (--no-relay, --poll)', async () => {
      await fillShop(test.db, dialect, { customers: 2, orders: 3, lines: 2 })
      const options = fresh(nats)
      const workers = startWorkers(nats, options, 1, ['--no-relay', '--poll', '500ms'])
      await listening(nats, options, 1)
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      await waitFor(() => allDone(test.db, 2), 20_000, 'the job and its lines job done')
      const { done } = await stopWorkers(workers, { quiet: true })
      await expectEachJobDoneOnce(test.db, done)
      expect(await published(test.db)).toEqual(new Set())
      expect(await orphans(test.db)).toEqual(NO_ORPHANS)
    })

    it('a broker unreachable at start, or a URL of the other broker, is exit 2 with the fix; the jobs stay in the table', async () => {
      await fillShop(test.db, dialect, { customers: 2, orders: 3, lines: 2 })
      await guard.db.deleteFrom('customers').where('id', '=', 1).execute()
      for (const broker of BROKERS) {
        const name = broker === rabbitmq ? 'RabbitMQ' : 'NATS'
        const result = await runCli(['worker', '--config', config, '--once', '--transport', broker.name, '--broker', broker.unreachableUrl])
        expect(result.code).toBe(2)
        expect(result.stderr).toContain(`cannot connect to ${name} at ${broker.unreachableUrl.replace('guest:guest', 'guest:***')}`)
        expect(result.stderr).toMatch(/connection refused\n {2}fix: start .*; queued jobs wait in refguard_jobs until a worker runs/)
      }
      const json = await runCli(['worker', '--config', config, '--json', '--transport', 'nats', '--broker', nats.unreachableUrl])
      expect(json.code).toBe(2)
      expect(JSON.parse(json.stdout).error).toMatchObject({ type: 'connection', message: expect.stringMatching(/^cannot connect to NATS/) })
      const mismatch = await runCli(['worker', '--config', config, '--once', '--transport', 'nats', '--broker', rabbitmq.url])
      expect(mismatch.code).toBe(2)
      expect(mismatch.stderr).toContain('the broker URL is a rabbitmq URL, but the transport is nats')
      const [job, ...others] = await jobs(test.db)
      expect(others).toEqual([])
      expect(job).toMatchObject({ relation: RELATION_NAMES.orders, state: 'pending', attempts: 0 })
      expect(await published(test.db)).toEqual(new Set())
      expect(await countRows(test.db, 'orders', sql`customer_id = 1`)).toBe(3)
    })
  })
}
