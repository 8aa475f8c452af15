import { TransportError, redactUrl } from './errors.js'
import { NatsTransport } from './nats.js'
import type { TransportOptions } from './options.js'
import { RabbitMqTransport } from './rabbitmq.js'

export type { ConnectionChange, TransportOptions } from './options.js'

/** One job announcement on a broker: the id of a committed refguard_jobs row. */
export interface JobMessage {
  jobId: string
}

/** What a worker does with a message; resolving acks it, throwing hands it back for redelivery. */
export type MessageHandler = (message: JobMessage) => Promise<void>

/**
 * A broker that carries job ids from the outbox relay to workers. Delivery is at-least-once: a message can
 * arrive twice (a republish, a redelivery after a lost ack), so the worker deduplicates by claiming the job row.
 */
export interface Transport {
  readonly name: 'rabbitmq' | 'nats'
  /** Connects; rejects with a TransportError naming the URL and the fix when the broker is unreachable. */
  connect(): Promise<void>
  /** Publishes and resolves only once the broker has the messages durably (publisher confirms / JetStream ack). */
  publish(messages: JobMessage[]): Promise<void>
  /** Starts delivering messages to the handler, at most `prefetch` unacknowledged at once; returns a function that stops consuming. */
  consume(handler: MessageHandler, options: { prefetch: number }): Promise<() => Promise<void>>
  close(): Promise<void>
}

const SCHEMES = 'amqp:// or amqps:// (RabbitMQ), nats:// (NATS JetStream)'

/** The transport for a broker URL: amqp:// or amqps:// for RabbitMQ, nats:// for NATS JetStream. */
export function createTransport(url: string, options: TransportOptions = {}): Transport {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'amqp' || scheme === 'amqps') return new RabbitMqTransport(url, options)
  if (scheme === 'nats') return new NatsTransport(url, options)
  throw new TransportError(
    `unknown transport "${scheme ? `${scheme}://` : redactUrl(url)}" in ${redactUrl(url)}; refguard supports ${SCHEMES}`,
    'use an amqp://, amqps:// or nats:// URL, e.g. amqp://guest:guest@127.0.0.1:5672 or nats://127.0.0.1:4222',
  )
}
