import { TransportError } from './errors.js'

/** A connection to the broker dropped (the transport is reconnecting), or came back. */
export type ConnectionChange = { state: 'lost'; error: TransportError } | { state: 'restored' }

export interface TransportOptions {
  /** The RabbitMQ queue, or the NATS subject, that carries job ids; default 'refguard.jobs'. */
  queue?: string
  /** NATS: the JetStream stream; default the queue name in capitals with '_' for '.' ('REFGUARD_JOBS'). */
  stream?: string
  /** NATS: the durable pull consumer all workers share; default 'refguard-workers'. */
  consumer?: string
  /** How long publish keeps retrying through a broker outage before it rejects; default 30 s. */
  publishTimeoutMs?: number
  /** Told when the connection drops and when it is back, for logs and metrics; reconnecting is automatic. */
  onConnectionChange?: (change: ConnectionChange) => void
}

export type ResolvedOptions = Required<Omit<TransportOptions, 'onConnectionChange'>> & Pick<TransportOptions, 'onConnectionChange'>

/** The options with every default filled in. */
export function resolveOptions(options: TransportOptions): ResolvedOptions {
  const queue = options.queue ?? 'refguard.jobs'
  return {
    queue,
    stream: options.stream ?? queue.toUpperCase().replace(/[^A-Z0-9_-]/g, '_'),
    consumer: options.consumer ?? 'refguard-workers',
    publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
    onConnectionChange: options.onConnectionChange,
  }
}

/** `prefetch` when it is usable, else a TransportError. */
export function checkPrefetch(prefetch: number): number {
  if (!Number.isInteger(prefetch) || prefetch < 1) {
    throw new TransportError(
      `prefetch must be a positive whole number, got ${prefetch}`,
      'pass consume(handler, { prefetch: N }) with N >= 1',
    )
  }
  return prefetch
}
