import { randomUUID } from 'node:crypto'
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib'
import { RECONNECT_BACKOFF, REDELIVERY_BACKOFF, backoffDelay, sleep, withJitter } from './backoff.js'
import { TransportError, connectFailure, errorMessage, redactUrl } from './errors.js'
import { decodeJobMessage, encodeJobMessage } from './message.js'
import { checkPrefetch, resolveOptions, type ResolvedOptions, type TransportOptions } from './options.js'
import type { JobMessage, MessageHandler, Transport } from './transport.js'

const CONNECT_TIMEOUT_MS = 5_000
/** Finds a broker that vanished without closing the socket (a dead host, a partition) within ~20 s. */
const HEARTBEAT_SECONDS = 10
const SESSION_POLL_MS = 50

/** One live connection: the publishing channel and the replies it owes. */
interface Session {
  model: ChannelModel
  publisher: ConfirmChannel
  /** Message ids the broker returned as unroutable (the queue was deleted): confirmed, but not stored. */
  returned: Set<string>
}

/**
 * RabbitMQ through amqplib: a durable queue, persistent messages, publisher confirms, manual acks.
 * When the connection drops it reconnects with capped exponential backoff and re-attaches every consumer;
 * publish waits for the new connection (up to `publishTimeoutMs`) and sends again what was not confirmed.
 */
export class RabbitMqTransport implements Transport {
  readonly name = 'rabbitmq'
  private readonly options: ResolvedOptions
  private readonly consumers = new Set<RabbitMqConsumer>()
  private readonly closing = new AbortController()
  private session?: Session
  private started = false
  private connecting?: Promise<void>
  private lastError?: unknown

  constructor(
    private readonly url: string,
    options: TransportOptions = {},
  ) {
    this.options = resolveOptions(options)
  }

  connect(): Promise<void> {
    this.assertOpen()
    this.connecting ??= this.open().then(
      () => void (this.started = true),
      (error: unknown) => {
        this.connecting = undefined
        throw error instanceof TransportError ? error : connectFailure('RabbitMQ', this.url, error)
      },
    )
    return this.connecting
  }

  async publish(messages: JobMessage[]): Promise<void> {
    this.assertStarted('publish')
    const deadline = Date.now() + this.options.publishTimeoutMs
    let pending = messages
    for (let attempt = 1; pending.length > 0; attempt++) {
      const session = await this.waitForSession(deadline)
      if (session) pending = await this.publishOnce(session, pending, deadline)
      if (pending.length === 0) return
      if (Date.now() >= deadline) throw this.publishTimeout(pending.length, messages.length)
      // Nacked or returned messages: pause before sending them again, as after a lost connection.
      await sleep(Math.min(withJitter(backoffDelay(attempt, RECONNECT_BACKOFF)), deadline - Date.now()), this.closing.signal)
    }
  }

  async consume(handler: MessageHandler, options: { prefetch: number }): Promise<() => Promise<void>> {
    this.assertStarted('consume')
    const consumer = new RabbitMqConsumer(this.options.queue, handler, checkPrefetch(options.prefetch), (model) => this.lose(model))
    this.consumers.add(consumer)
    const session = this.session
    if (session) {
      try {
        await consumer.attach(session.model)
      } catch (error) {
        // A connection that dropped meanwhile is not a failure: the reconnect attaches the consumer.
        if (this.session === session) {
          this.consumers.delete(consumer)
          throw new TransportError(
            `cannot consume from RabbitMQ queue "${this.options.queue}" at ${redactUrl(this.url)}: ${errorMessage(error)}`,
            'check the queue and the permissions of the user in the URL',
            { cause: error },
          )
        }
      }
    }
    return async () => {
      this.consumers.delete(consumer)
      await consumer.stop()
    }
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return
    this.closing.abort()
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.stop()))
    this.consumers.clear()
    const session = this.session
    this.session = undefined
    await session?.model.close().catch(() => undefined)
  }

  /** Connects, declares the queue, opens the publishing channel and attaches the consumers. */
  private async open(): Promise<void> {
    // Loaded here, not at startup: a process that never uses RabbitMQ never loads amqplib.
    const { default: amqp } = await import('amqplib')
    const model = await amqp.connect(withHeartbeat(this.url), { timeout: CONNECT_TIMEOUT_MS })
    let dropped = false
    // 'error' is always followed by 'close', which drives the reconnect; without a listener 'error' would crash the process.
    model.on('error', (error: unknown) => (this.lastError = error))
    model.once('close', (reason?: unknown) => {
      // A broker that shuts down sends 320 CONNECTION_FORCED, which amqplib reports only here, not as 'error'.
      if (reason) this.lastError = reason
      dropped = true
      this.lose(model)
    })
    try {
      const publisher = await model.createConfirmChannel()
      publisher.on('error', (error: unknown) => (this.lastError = error))
      publisher.once('close', () => this.lose(model))
      await publisher.assertQueue(this.options.queue, { durable: true })
      const session: Session = { model, publisher, returned: new Set() }
      publisher.on('return', (message: ConsumeMessage) => {
        if (message.properties.messageId) session.returned.add(message.properties.messageId)
      })
      for (const consumer of this.consumers) await consumer.attach(model)
      if (dropped) throw new Error('the connection closed while it was being set up')
      if (this.closing.signal.aborted) {
        await model.close().catch(() => undefined)
        return
      }
      this.session = session
    } catch (error) {
      await model.close().catch(() => undefined)
      throw error
    }
  }

  /** The connection behind `model` is gone (or unusable): drop it and reconnect in the background. */
  private lose(model: ChannelModel): void {
    if (this.session?.model !== model) return
    this.session = undefined
    // A channel can fail while the connection lives; closing the connection resets every channel at once.
    model.close().catch(() => undefined)
    if (this.closing.signal.aborted) return
    // amqplib closes the channels before the connection reports why it closed: report once that reason is in.
    queueMicrotask(() => {
      this.options.onConnectionChange?.({ state: 'lost', error: this.unreachable() })
      void this.reconnect()
    })
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.closing.signal.aborted; attempt++) {
      await sleep(withJitter(backoffDelay(attempt, RECONNECT_BACKOFF)), this.closing.signal)
      if (this.closing.signal.aborted) return
      try {
        await this.open()
        this.options.onConnectionChange?.({ state: 'restored' })
        return
      } catch (error) {
        this.lastError = error
      }
    }
  }

  /** The live session, waiting for a reconnect if needed; undefined when the deadline passed first. */
  private async waitForSession(deadline: number): Promise<Session | undefined> {
    while (!this.session && Date.now() < deadline) {
      this.assertOpen()
      await sleep(Math.min(SESSION_POLL_MS, deadline - Date.now()), this.closing.signal)
    }
    this.assertOpen()
    return this.session
  }

  /** Sends `messages` once and waits for their confirms; returns those the broker did not confirm as stored. */
  private async publishOnce(session: Session, messages: JobMessage[], deadline: number): Promise<JobMessage[]> {
    const { publisher, returned } = session
    let unroutable = false
    const confirmed = messages.map((message) => {
      const messageId = randomUUID()
      return new Promise<boolean>((resolve) => {
        // Confirm callbacks, not waitForConfirms(): waitForConfirms() resolves at once on a channel that closed
        // between send and wait, which would report lost messages as published.
        const onConfirm = (error: unknown) => {
          if (error) this.lastError = error
          const wasReturned = returned.delete(messageId)
          if (wasReturned) unroutable = true
          resolve(!error && !wasReturned)
        }
        try {
          // mandatory: a queue deleted under us returns the message instead of confirming a silent drop.
          // The result of sendToQueue (false when amqplib's buffer is full) is not needed: the batch is bounded
          // and nothing more is sent before its confirms arrive.
          publisher.sendToQueue(
            this.options.queue,
            encodeJobMessage(message),
            { persistent: true, mandatory: true, messageId, contentType: 'application/json' },
            onConfirm,
          )
        } catch (error) {
          onConfirm(error)
        }
      })
    })
    // A connection that hangs without closing would keep the confirms waiting: give up at the deadline.
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean[]>(
      (resolve) => (timer = setTimeout(() => resolve(messages.map(() => false)), Math.max(0, deadline - Date.now()))),
    )
    const results = await Promise.race([Promise.all(confirmed), timeout]).finally(() => clearTimeout(timer))
    const unconfirmed = messages.filter((_, index) => !results[index])
    if (unroutable && this.session === session) {
      this.lastError = new Error(`queue "${this.options.queue}" did not exist (messages returned unroutable)`)
      await publisher.assertQueue(this.options.queue, { durable: true }).catch((error: unknown) => (this.lastError = error))
    }
    return unconfirmed
  }

  private publishTimeout(unconfirmed: number, total: number): TransportError {
    const seconds = Math.round(this.options.publishTimeoutMs / 100) / 10
    return new TransportError(
      `RabbitMQ at ${redactUrl(this.url)} did not confirm ${unconfirmed} of ${total} job messages within ${seconds} s (last error: ${this.describeLastError()})`,
      'check that RabbitMQ is running and reachable; the jobs stay in refguard_jobs and are published again on the next attempt',
    )
  }

  private unreachable(): TransportError {
    return new TransportError(
      `lost the connection to RabbitMQ at ${redactUrl(this.url)} (${this.describeLastError()}); reconnecting`,
      'check that RabbitMQ is running and reachable',
      {
        cause: this.lastError,
      },
    )
  }

  private describeLastError(): string {
    return this.lastError === undefined ? 'none' : errorMessage(this.lastError)
  }

  private assertStarted(operation: string): void {
    this.assertOpen()
    if (!this.started)
      throw new TransportError(`${operation}() on the RabbitMQ transport before connect()`, 'await transport.connect() first')
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted)
      throw new TransportError('the RabbitMQ transport is closed', 'create a new transport with createTransport()')
  }
}

/** One consume() call: a channel of its own, so its prefetch limits only its own deliveries. */
class RabbitMqConsumer {
  private channel?: Channel
  private consumerTag?: string
  private readonly inFlight = new Set<Promise<void>>()
  private readonly stopping = new AbortController()

  constructor(
    private readonly queue: string,
    private readonly handler: MessageHandler,
    private readonly prefetch: number,
    private readonly broken: (model: ChannelModel) => void,
  ) {}

  /** Starts consuming on a fresh channel of `model`. */
  async attach(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel()
    channel.on('error', () => undefined)
    channel.once('close', () => {
      if (!this.stopping.signal.aborted) this.broken(model)
    })
    await channel.prefetch(this.prefetch)
    const { consumerTag } = await channel.consume(
      this.queue,
      (delivery) => (delivery ? this.deliver(channel, delivery) : this.broken(model)),
      { noAck: false },
    )
    if (this.stopping.signal.aborted) {
      // stop() ran while this attach (after a reconnect) was under way.
      await channel.close().catch(() => undefined)
      return
    }
    this.channel = channel
    this.consumerTag = consumerTag
  }

  /** Stops deliveries, lets running handlers finish and settle their messages, then closes the channel. */
  async stop(): Promise<void> {
    this.stopping.abort()
    const channel = this.channel
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined)
    await Promise.allSettled([...this.inFlight])
    await channel?.close().catch(() => undefined)
  }

  private deliver(channel: Channel, delivery: ConsumeMessage): void {
    const task = this.handle(channel, delivery)
    this.inFlight.add(task)
    void task.finally(() => this.inFlight.delete(task))
  }

  private async handle(channel: Channel, delivery: ConsumeMessage): Promise<void> {
    const message = decodeJobMessage(delivery.content)
    if (!message) return settle(() => channel.nack(delivery, false, false))
    try {
      await this.handler(message)
    } catch {
      // Classic queues do not count deliveries, so the pause is fixed; holding the message keeps its prefetch slot.
      await sleep(REDELIVERY_BACKOFF.baseMs, this.stopping.signal)
      return settle(() => channel.nack(delivery, false, true))
    }
    settle(() => channel.ack(delivery))
  }
}

/** Acks or nacks; on a channel that closed meanwhile the broker has already requeued the message. */
function settle(action: () => void): void {
  try {
    action()
  } catch {
    // the channel is gone: the message comes back through the broker's redelivery
  }
}

/** The URL with a heartbeat unless it sets one, so a silently dead broker is noticed. */
function withHeartbeat(url: string): string {
  const parsed = new URL(url)
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(HEARTBEAT_SECONDS))
  return parsed.toString()
}
