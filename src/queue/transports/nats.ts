import type { Consumer, ConsumerInfo, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg, NatsConnection } from 'nats'
import { RECONNECT_BACKOFF, REDELIVERY_BACKOFF, backoffDelay, sleep, withJitter } from './backoff.js'
import { TransportError, connectFailure, errorMessage, redactUrl } from './errors.js'
import { decodeJobMessage, encodeJobMessage } from './message.js'
import { checkPrefetch, resolveOptions, type ResolvedOptions, type TransportOptions } from './options.js'
import type { JobMessage, MessageHandler, Transport } from './transport.js'

type NatsLibrary = typeof import('nats')

/** The nats client, loaded by the first connect(): a process that never uses NATS never loads it. */
let library: NatsLibrary | undefined

/** The nats client once a transport has connected (every caller runs after connect()). */
function nats(): NatsLibrary {
  if (!library) throw new Error('the nats client is used before connect() loaded it')
  return library
}

const CONNECT_TIMEOUT_MS = 5_000
/** Finds a server that vanished without closing the socket within ~20 s (the client's default is 4 min). */
const PING_INTERVAL_MS = 10_000
/** How long one JetStream publish waits for its PubAck before it is sent again. */
const PUBLISH_ACK_TIMEOUT_MS = 5_000
/** How long a delivered message may stay unacknowledged before JetStream redelivers it; handlers extend it while they run. */
const ACK_WAIT_MS = 30_000
/**
 * The consumer's max_ack_pending. It counts unacknowledged messages across every worker that shares the durable
 * consumer, so it is a fleet-wide ceiling, not a worker's prefetch: each worker enforces its own prefetch by
 * pulling only as many messages as it has free slots.
 */
const FLEET_MAX_ACK_PENDING = 10_000
/** How long one pull waits on the server for messages before the worker pulls again. */
const PULL_EXPIRES_MS = 5_000
/**
 * The server's heartbeat on a waiting pull. Two missed ones end the pull with an error (a lost pull, a deleted
 * consumer) well before the client's own expiry timer ends it quietly, so the loop notices and recovers.
 */
const PULL_HEARTBEAT_MS = 1_000
const ONLINE_POLL_MS = 50
const QUICK_EMPTY_PULL_MS = 500
const FLUSH_TIMEOUT_MS = 1_000

/**
 * NATS JetStream: a file-backed work-queue stream, a durable pull consumer with explicit acks that all workers
 * share, and publishes that wait for the PubAck. The client reconnects by itself (capped exponential backoff);
 * workers pause pulling while it is away and resume when it is back.
 */
export class NatsTransport implements Transport {
  readonly name = 'nats'
  private readonly options: ResolvedOptions
  private readonly loops = new Set<PullLoop>()
  private readonly closing = new AbortController()
  private connection?: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }
  private online = false
  private connecting?: Promise<void>
  private reconnectAttempt = 0
  private lastError?: unknown

  constructor(
    private readonly url: string,
    options: TransportOptions = {},
  ) {
    this.options = resolveOptions(options)
  }

  connect(): Promise<void> {
    this.assertOpen()
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = undefined
      throw error
    })
    return this.connecting
  }

  async publish(messages: JobMessage[]): Promise<void> {
    const { nc, js, jsm } = this.requireConnection('publish')
    const deadline = Date.now() + this.options.publishTimeoutMs
    let pending = messages
    for (let attempt = 1; ; attempt++) {
      const results = await Promise.allSettled(
        pending.map((message) =>
          js.publish(this.options.queue, encodeJobMessage(message), {
            expect: { streamName: this.options.stream },
            timeout: Math.max(1, Math.min(PUBLISH_ACK_TIMEOUT_MS, deadline - Date.now())),
          }),
        ),
      )
      for (const result of results) if (result.status === 'rejected') this.lastError = result.reason
      pending = pending.filter((_, index) => results[index]?.status === 'rejected')
      if (pending.length === 0) return
      this.assertOpen()
      if (nc.isClosed()) throw this.publishFailure(pending.length, messages.length, 'the connection is closed')
      if (Date.now() >= deadline)
        throw this.publishFailure(pending.length, messages.length, `not stored within ${this.options.publishTimeoutMs / 1000} s`)
      await sleep(Math.min(withJitter(backoffDelay(attempt, RECONNECT_BACKOFF)), deadline - Date.now()), this.closing.signal)
      // A stream deleted under us answers "no responders": create it again (a no-op when it exists).
      if (this.online) await this.ensureStream(jsm).catch((error: unknown) => (this.lastError = error))
    }
  }

  async consume(handler: MessageHandler, options: { prefetch: number }): Promise<() => Promise<void>> {
    const { nc, js, jsm } = this.requireConnection('consume')
    const prefetch = checkPrefetch(options.prefetch)
    let info: ConsumerInfo
    let consumer: Consumer
    try {
      info = await this.ensureConsumer(jsm)
      consumer = await js.consumers.get(this.options.stream, this.options.consumer)
    } catch (error) {
      throw new TransportError(
        `cannot consume from NATS stream "${this.options.stream}" at ${redactUrl(this.url)}: ${errorMessage(error)}`,
        'check that the stream exists and the user may create and read its consumers',
        { cause: error },
      )
    }
    const ackWaitMs = Math.max(1_000, (info.config.ack_wait ?? nats().nanos(ACK_WAIT_MS)) / 1_000_000)
    const loop = new PullLoop(consumer, handler, prefetch, ackWaitMs, {
      online: () => this.online,
      recover: () => this.ensureConsumer(jsm).then(() => undefined),
      flush: () => (this.online ? nc.flush() : Promise.resolve()),
    })
    this.loops.add(loop)
    return async () => {
      this.loops.delete(loop)
      await loop.stop()
    }
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return
    this.closing.abort()
    await Promise.allSettled([...this.loops].map((loop) => loop.stop()))
    this.loops.clear()
    const connection = this.connection
    this.connection = undefined
    // close() flushes what is buffered, so acks sent by the last handlers reach the server.
    await connection?.nc.close().catch(() => undefined)
  }

  /** Connects, checks JetStream, creates the stream unless it exists, and starts watching the connection. */
  private async open(): Promise<void> {
    let nc: NatsConnection
    try {
      library ??= await import('nats')
      nc = await library.connect({
        ...serverOptions(this.url),
        name: 'refguard',
        timeout: CONNECT_TIMEOUT_MS,
        pingInterval: PING_INTERVAL_MS,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: () => withJitter(backoffDelay(++this.reconnectAttempt, RECONNECT_BACKOFF)),
      })
    } catch (error) {
      throw connectFailure('NATS', this.url, error)
    }
    try {
      const jsm = await nc.jetstreamManager()
      await this.ensureStream(jsm)
      this.connection = { nc, js: nc.jetstream(), jsm }
    } catch (error) {
      await nc.close().catch(() => undefined)
      if (error instanceof TransportError) throw error
      throw new TransportError(
        `NATS at ${redactUrl(this.url)} has no usable JetStream: ${errorMessage(error)}`,
        'start nats-server with JetStream enabled (nats-server -js) and give the user JetStream permissions',
        { cause: error },
      )
    }
    if (this.closing.signal.aborted) {
      this.connection = undefined
      await nc.close().catch(() => undefined)
      return
    }
    this.online = true
    void this.watchStatus(nc)
  }

  /** Creates the stream unless it exists; an existing stream must capture the subject. */
  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const { stream, queue } = this.options
    const existing = await jsm.streams.info(stream).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      throw error
    })
    if (!existing) {
      // Concurrent workers may race to create it; an identical config makes add() idempotent on the server.
      await jsm.streams.add({
        name: stream,
        subjects: [queue],
        storage: nats().StorageType.File,
        retention: nats().RetentionPolicy.Workqueue,
      })
      return
    }
    if (!existing.config.subjects?.includes(queue)) {
      throw new TransportError(
        `NATS stream "${stream}" exists but does not capture subject "${queue}" (it has ${existing.config.subjects?.join(', ') || 'no subjects'})`,
        `add the subject to the stream (nats stream edit ${stream} --subjects ${queue}), or configure another stream or queue name`,
      )
    }
  }

  /** The durable consumer, created when missing. An existing one is used as it is, whoever made it. */
  private async ensureConsumer(jsm: JetStreamManager): Promise<ConsumerInfo> {
    const { stream, consumer } = this.options
    const existing = await jsm.consumers.info(stream, consumer).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      throw error
    })
    if (existing) return existing
    try {
      return await jsm.consumers.add(stream, {
        durable_name: consumer,
        ack_policy: nats().AckPolicy.Explicit,
        ack_wait: nats().nanos(ACK_WAIT_MS),
        max_ack_pending: FLEET_MAX_ACK_PENDING,
        // Unlimited: the job row counts attempts and dead-letters, the broker only carries the announcement.
        max_deliver: -1,
        deliver_policy: nats().DeliverPolicy.All,
      })
    } catch (error) {
      // Another worker created it first.
      return await jsm.consumers.info(stream, consumer).catch(() => Promise.reject(error))
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === nats().Events.Disconnect) {
        this.online = false
        // A pull pending on the lost server is gone; end it now so the worker pulls afresh after the reconnect.
        for (const loop of this.loops) loop.interrupt()
        this.options.onConnectionChange?.({
          state: 'lost',
          error: new TransportError(
            `lost the connection to NATS at ${redactUrl(this.url)}; reconnecting`,
            'check that nats-server is running and reachable',
          ),
        })
      } else if (status.type === nats().Events.Reconnect) {
        this.online = true
        this.reconnectAttempt = 0
        this.options.onConnectionChange?.({ state: 'restored' })
      }
    }
  }

  private publishFailure(unstored: number, total: number, reason: string): TransportError {
    return new TransportError(
      `NATS JetStream at ${redactUrl(this.url)} did not store ${unstored} of ${total} job messages: ${reason} (last error: ${this.lastError === undefined ? 'none' : errorMessage(this.lastError)})`,
      `check that nats-server is running with JetStream and that stream "${this.options.stream}" exists; the jobs stay in refguard_jobs and are published again on the next attempt`,
      { cause: this.lastError },
    )
  }

  private requireConnection(operation: string): NonNullable<NatsTransport['connection']> {
    this.assertOpen()
    if (!this.connection)
      throw new TransportError(`${operation}() on the NATS transport before connect()`, 'await transport.connect() first')
    return this.connection
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted)
      throw new TransportError('the NATS transport is closed', 'create a new transport with createTransport()')
  }
}

/** One consume() call: pulls at most as many messages as it has free handler slots, so `prefetch` bounds its unacked messages. */
class PullLoop {
  private inFlight = 0
  private readonly tasks = new Set<Promise<void>>()
  private readonly stopping = new AbortController()
  private pull?: ConsumerMessages
  private slotFreed?: () => void
  private readonly running: Promise<void>

  constructor(
    private readonly consumer: Consumer,
    private readonly handler: MessageHandler,
    private readonly prefetch: number,
    private readonly ackWaitMs: number,
    private readonly connection: { online: () => boolean; recover: () => Promise<void>; flush: () => Promise<void> },
  ) {
    this.running = this.run()
  }

  /** Ends the current pull (the server lost it); the loop pulls again once the connection is back. */
  interrupt(): void {
    void this.pull?.close()
  }

  /** Stops pulling, lets running handlers finish and settle their messages. */
  async stop(): Promise<void> {
    this.stopping.abort()
    this.wake()
    this.interrupt()
    await this.running
    // The server keeps an open pull until it sees the unsubscribe: wait for that, so no message published right
    // after stop() is sent to this pull and left unacknowledged until the ack wait. (One already on its way then
    // still is: at-least-once delivery redelivers it after ack_wait.)
    await Promise.race([this.connection.flush().catch(() => undefined), sleep(FLUSH_TIMEOUT_MS)])
    await Promise.allSettled([...this.tasks])
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.stopped;) {
      await this.freeSlot()
      while (!this.connection.online() && !this.stopped) await sleep(ONLINE_POLL_MS, this.stopping.signal)
      if (this.stopped) return
      try {
        this.pull = await this.consumer.fetch({
          max_messages: this.prefetch - this.inFlight,
          expires: PULL_EXPIRES_MS,
          idle_heartbeat: PULL_HEARTBEAT_MS,
        })
        const started = Date.now()
        let received = 0
        for await (const message of this.pull) {
          received++
          // A pull re-issued by the client after a reconnect may deliver beyond the slots asked for: wait for one.
          await this.freeSlot()
          if (this.stopped) settle(() => message.nak())
          else this.start(message)
        }
        // A pull the server ends at once, empty, would make this loop spin: pause as after a failure.
        if (received === 0 && Date.now() - started < QUICK_EMPTY_PULL_MS && !this.stopped) {
          await sleep(withJitter(backoffDelay(++failures, RECONNECT_BACKOFF)), this.stopping.signal)
        } else failures = 0
      } catch {
        failures++
        await sleep(withJitter(backoffDelay(failures, RECONNECT_BACKOFF)), this.stopping.signal)
        // The consumer may have been deleted from under us; recreate it (a no-op when it exists).
        if (!this.stopped) await this.connection.recover().catch(() => undefined)
      } finally {
        this.pull = undefined
      }
    }
  }

  private start(message: JsMsg): void {
    this.inFlight++
    const task = this.handle(message).finally(() => {
      this.inFlight--
      this.wake()
    })
    this.tasks.add(task)
    void task.finally(() => this.tasks.delete(task))
  }

  private async handle(message: JsMsg): Promise<void> {
    const job = decodeJobMessage(message.data)
    if (!job) return settle(() => message.term())
    // A long cascade must not outlive the ack wait and be handed to a second worker meanwhile.
    const progress = setInterval(() => settle(() => message.working()), this.ackWaitMs / 2)
    try {
      await this.handler(job)
      settle(() => message.ack())
    } catch {
      settle(() => message.nak(backoffDelay(message.info.redeliveryCount, REDELIVERY_BACKOFF)))
    } finally {
      clearInterval(progress)
    }
  }

  private async freeSlot(): Promise<void> {
    while (this.inFlight >= this.prefetch && !this.stopped) await new Promise<void>((resolve) => (this.slotFreed = resolve))
  }

  private wake(): void {
    const resolve = this.slotFreed
    this.slotFreed = undefined
    resolve?.()
  }
}

/** Acks, naks, terms; on a closed connection the server redelivers after the ack wait. */
function settle(action: () => void): void {
  try {
    action()
  } catch {
    // the connection is closed: the message comes back after ack_wait
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === '404'
}

/** The server and credentials of a nats:// URL, in the client's terms; `nats://TOKEN@host` is token auth. */
function serverOptions(url: string): { servers: string; user?: string; pass?: string; token?: string } {
  const parsed = new URL(url)
  const servers = `${parsed.hostname}:${parsed.port || 4222}`
  const user = decodeURIComponent(parsed.username)
  const pass = decodeURIComponent(parsed.password)
  if (user && pass) return { servers, user, pass }
  if (user) return { servers, token: user }
  return { servers }
}
