import { UsageError } from '../errors.js'
import type { JobFeed } from './feed.js'
import { TransportError } from './transports/errors.js'
import { createTransport, type JobMessage, type Transport, type TransportOptions } from './transports/transport.js'

/** The broker a worker connects to when no URL is given: the local one, as the brokers' own defaults. */
export const BROKER_URLS = {
  rabbitmq: 'amqp://guest:guest@127.0.0.1:5672',
  nats: 'nats://127.0.0.1:4222',
} as const

export type BrokerTransport = keyof typeof BROKER_URLS

/**
 * How long the relay waits for a broker to confirm a publish before it reports the outage and tries again on its
 * next round (the transport's own default, 30 s, would hold the relay silent through most of an outage).
 */
const RELAY_PUBLISH_TIMEOUT_MS = 5_000

/**
 * Connects to the `broker` at `url`: a UsageError when the URL is of another broker, a TransportError naming
 * the URL and the fix when the broker cannot be reached.
 */
export async function connectBroker(broker: BrokerTransport, url: string | undefined, options: TransportOptions = {}): Promise<Transport> {
  const brokerUrl = url ?? BROKER_URLS[broker]
  const transport = createTransport(brokerUrl, { publishTimeoutMs: RELAY_PUBLISH_TIMEOUT_MS, ...options })
  if (transport.name !== broker) {
    throw new UsageError(
      `the broker URL is a ${transport.name} URL, but the transport is ${broker}`,
      `pass a ${broker === 'rabbitmq' ? 'amqp:// or amqps://' : 'nats://'} URL, or --transport ${transport.name}`,
    )
  }
  try {
    await transport.connect()
  } catch (error) {
    await transport.close().catch(() => undefined)
    if (!(error instanceof TransportError)) throw error
    throw new TransportError(error.problem, `${error.fix}; queued jobs wait in refguard_jobs until a worker runs`, { cause: error })
  }
  return transport
}

/** A message handed to the worker, and how to answer the broker for it. */
interface Delivery {
  jobId: string
  /** Acknowledges the message: the broker forgets it. */
  ack: () => void
  /** Hands the message back: the broker delivers it again, to this worker or another. */
  requeue: (reason: Error) => void
}

/**
 * A JobFeed over a connected broker transport: consumes job ids with at most `prefetch` (the worker's concurrency)
 * unacknowledged; `wait` hands a delivered id to a waiting slot, which claims that job first; `settle` acks it
 * once the slot is through with the job, whatever came of it: done, retried, dead, or not claimable at all
 * (done already, or another worker's). The job row is the truth: a retried or handed-back job is announced again
 * by the relay, so no message is ever handed back for it; a duplicate is acked as soon as its claim fails. A slot
 * still waits at most `idleMs` (the worker's poll) and then claims from the table: a job whose message was lost,
 * or whose lease ran out, is not stuck. Closing the feed hands back the messages no slot finished and closes the
 * transport.
 */
export async function brokerFeed(transport: Transport, prefetch: number): Promise<JobFeed> {
  /** Delivered, not yet handed to a slot (a slot was busy with a job it claimed from the table). */
  const offered: Delivery[] = []
  /** Handed to a slot, not yet settled; by job id, since duplicates of a message may be out at once. */
  const taken = new Map<string, Delivery[]>()
  /** Slots in wait(), first come first served. */
  const waiting: Array<(delivery?: Delivery) => void> = []
  let closed = false

  const take = (delivery: Delivery): { jobId: string } => {
    taken.set(delivery.jobId, [...(taken.get(delivery.jobId) ?? []), delivery])
    return { jobId: delivery.jobId }
  }

  // The handler's promise is the message's fate: resolved, the transport acks; rejected, it hands the message back.
  const stopConsuming = await transport.consume(
    ({ jobId }: JobMessage) =>
      new Promise<void>((ack, requeue) => {
        const delivery = { jobId, ack, requeue }
        if (closed) return requeue(new Error('the worker is stopping'))
        const slot = waiting.shift()
        if (slot) slot(delivery)
        else offered.push(delivery)
      }),
    { prefetch },
  )

  return {
    name: transport.name,
    async wait(idleMs, signal) {
      const ready = offered.shift()
      if (ready) return take(ready)
      if (closed || signal.aborted) return undefined
      return new Promise((resolve) => {
        const finish = (delivery?: Delivery) => {
          clearTimeout(timer)
          signal.removeEventListener('abort', quit)
          const index = waiting.indexOf(finish)
          if (index >= 0) waiting.splice(index, 1)
          resolve(delivery ? take(delivery) : undefined)
        }
        const quit = () => finish()
        const timer = setTimeout(quit, idleMs)
        signal.addEventListener('abort', quit, { once: true })
        waiting.push(finish)
      })
    },
    async settle(jobId) {
      const deliveries = taken.get(jobId)
      const delivery = deliveries?.shift()
      if (deliveries?.length === 0) taken.delete(jobId)
      delivery?.ack()
    },
    async close() {
      if (closed) return
      closed = true
      // Stop deliveries first, so what is handed back goes to other workers; stopping waits for these handlers.
      const stopped = stopConsuming()
      const reason = new Error('the worker stopped before it claimed this job')
      for (const delivery of [...offered.splice(0), ...[...taken.values()].flat()]) delivery.requeue(reason)
      taken.clear()
      for (const slot of waiting.splice(0)) slot()
      await stopped.catch(() => undefined)
      await transport.close().catch(() => undefined)
    },
  }
}
