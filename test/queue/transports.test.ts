// The tests of this file run one after another, and hold the brokers (a lock across test files, which vitest runs in
// parallel): the outage tests stop the brokers, which must not happen while a test of this or another file uses them.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { TransportError } from '../../src/queue/transports/errors.js'
import { createTransport, type JobMessage, type Transport, type TransportOptions } from '../../src/queue/transports/transport.js'
import { BROKERS, delay, releaseBrokers, shareBrokers, waitFor, withBrokersExclusive } from './transport-brokers.js'

const ids = (count: number, prefix = 'job'): JobMessage[] => Array.from({ length: count }, (_, index) => ({ jobId: `${prefix}-${index}` }))

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

test('createTransport rejects an unknown scheme and lists the supported ones', () => {
  for (const url of ['redis://127.0.0.1:6379', '127.0.0.1:5672']) {
    let error: unknown
    try {
      createTransport(url)
    } catch (thrown) {
      error = thrown
    }
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).message).toMatch(/unknown transport/)
    expect((error as TransportError).message).toMatch(/amqp:\/\/.*amqps:\/\/.*nats:\/\//)
    expect((error as TransportError).fix).toMatch(/amqp:\/\//)
  }
  expect(createTransport('amqps://broker.example').name).toBe('rabbitmq')
  expect(createTransport('nats://broker.example').name).toBe('nats')
})

for (const broker of BROKERS) {
  describe(broker.name, () => {
    const opened: Transport[] = []
    const cleanUps: TransportOptions[] = []

    /** A connected transport on `options`; closed, and its queue or stream deleted, after the test. */
    async function open(options: TransportOptions): Promise<Transport> {
      const transport = createTransport(broker.url, options)
      opened.push(transport)
      await transport.connect()
      return transport
    }

    function fresh(): TransportOptions {
      const options = broker.freshOptions()
      cleanUps.push(options)
      return options
    }

    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((transport) => transport.close()))
      await Promise.allSettled(cleanUps.splice(0).map((options) => broker.cleanUp(options)))
    })

    test('publishes job ids that a consumer on another connection receives, until it stops', async () => {
      const options = fresh()
      const publisher = await open(options)
      const consumer = await open(options)
      await publisher.publish(ids(3))
      const received: string[] = []
      const stop = await consumer.consume(async ({ jobId }) => void received.push(jobId), { prefetch: 10 })
      await waitFor(() => received.length === 3, 10_000, 'three deliveries')
      expect(received.sort()).toEqual(['job-0', 'job-1', 'job-2'])

      await stop()
      await publisher.publish([{ jobId: 'after-stop' }])
      await delay(300)
      expect(received).not.toContain('after-stop')
      const next: string[] = []
      await consumer.consume(async ({ jobId }) => void next.push(jobId), { prefetch: 1 })
      await waitFor(() => next.length === 1, 10_000, 'the delivery to a new consumer')
      expect(next).toEqual(['after-stop'])
    })

    test('hands a message back when the handler throws, after a pause, and delivers it again', async () => {
      const options = fresh()
      const transport = await open(options)
      const attempts: number[] = []
      let done = false
      await transport.consume(
        async () => {
          attempts.push(Date.now())
          if (attempts.length === 1) throw new Error('database unavailable')
          done = true
        },
        { prefetch: 1 },
      )
      await transport.publish([{ jobId: 'flaky' }])
      await waitFor(() => done, 10_000, 'the redelivery')
      expect(attempts).toHaveLength(2)
      // The pause keeps a failing worker from spinning on one message.
      expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(900)
    })

    test('keeps at most prefetch messages unacknowledged', async () => {
      const options = fresh()
      const transport = await open(options)
      await transport.publish(ids(8))
      let active = 0
      let peak = 0
      let finished = 0
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      await transport.consume(
        async () => {
          peak = Math.max(peak, ++active)
          await released
          active--
          finished++
        },
        { prefetch: 3 },
      )
      await waitFor(() => active === 3, 10_000, 'three handlers to start')
      await delay(500)
      expect(active).toBe(3)
      // The broker still holds the other five: the client did not take more than it may hold unacknowledged.
      expect(await broker.undelivered(options)).toBe(5)
      release()
      await waitFor(() => finished === 8, 10_000, 'all eight messages')
      expect(peak).toBe(3)
    })

    test('delivers a job id published twice twice: the worker deduplicates by claiming the job row', async () => {
      const options = fresh()
      const transport = await open(options)
      const received: string[] = []
      await transport.consume(async ({ jobId }) => void received.push(jobId), { prefetch: 5 })
      await transport.publish([{ jobId: 'twice' }, { jobId: 'twice' }])
      await waitFor(() => received.length === 2, 10_000, 'both copies')
      await delay(300)
      expect(received).toEqual(['twice', 'twice'])
    })

    test('declares the queue or stream again when it is deleted under running transports', async () => {
      const options = fresh()
      const publisher = await open(options)
      const consumer = await open(options)
      const received: string[] = []
      await consumer.consume(async ({ jobId }) => void received.push(jobId), { prefetch: 5 })
      await publisher.publish([{ jobId: 'before' }])
      await waitFor(() => received.includes('before'), 10_000, 'the first delivery')
      await broker.cleanUp(options)
      await publisher.publish([{ jobId: 'after' }])
      await waitFor(() => received.includes('after'), 15_000, 'the delivery after the deletion')
    })

    test('fails fast with a TransportError naming the URL and the fix when the broker is unreachable', async () => {
      const started = Date.now()
      const transport = createTransport(broker.unreachableUrl)
      const error = await transport.connect().then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).message).toMatch(/cannot connect to .* at .*127\.0\.0\.1:1.*connection refused/)
      expect((error as TransportError).message).not.toMatch(/guest:guest/)
      expect((error as TransportError).fix).toMatch(/start/)
      expect(Date.now() - started).toBeLessThan(10_000)
      await transport.close()
    })

    // 120 s: up to a minute of it waiting for the tests of another file to finish with the brokers.
    test('survives a broker outage: every job published across it arrives, and consuming goes on', { timeout: 120_000 }, async () => {
      const options = fresh()
      const changes: string[] = []
      const publisher = await open({
        ...options,
        publishTimeoutMs: 20_000,
        onConnectionChange: ({ state }) => changes.push(`publisher ${state}`),
      })
      const consumer = await open({ ...options, onConnectionChange: ({ state }) => changes.push(`consumer ${state}`) })
      const impatient = await open({ ...options, publishTimeoutMs: 300 })
      const received = new Set<string>()
      await consumer.consume(async ({ jobId }) => void received.add(jobId), { prefetch: 5 })

      const published: string[] = []
      let publishing = true
      let publishError: unknown
      const publishLoop = (async () => {
        for (let index = 0; publishing; index++) {
          await publisher.publish([{ jobId: `job-${index}` }])
          published.push(`job-${index}`)
          await delay(20)
        }
      })().catch((error: unknown) => (publishError = error))
      const publishedAtLeast = (count: number) => () => {
        if (publishError) throw publishError
        return published.length >= count
      }

      await withBrokersExclusive(async () => {
        try {
          await waitFor(publishedAtLeast(20), 10_000, '20 publishes before the outage')
          await broker.stop()
          // While the broker is away a publish never reports success it does not have: it waits, then rejects.
          await expect(impatient.publish([{ jobId: 'impatient' }])).rejects.toThrow(TransportError)
          await delay(1_000)
          const publishedDuringOutage = published.length
          await broker.start()
          await waitFor(publishedAtLeast(publishedDuringOutage + 20), 25_000, '20 publishes after the outage')
        } finally {
          publishing = false
          await broker.start()
        }
      })
      await publishLoop
      expect(publishError).toBeUndefined()
      // Normally immediate; a delivery the stopped NATS server sent but never got to the client comes back after the 30 s ack wait.
      await waitFor(() => published.every((jobId) => received.has(jobId)), 35_000, 'every published job id to arrive')

      await publisher.publish([{ jobId: 'after-outage' }])
      await waitFor(() => received.has('after-outage'), 10_000, 'a job published after the outage')
      expect(changes).toEqual(expect.arrayContaining(['publisher lost', 'publisher restored', 'consumer lost', 'consumer restored']))
    })
  })
}
