import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { connect as connectTcp } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import amqp from 'amqplib'
import { connect as connectNats, type JetStreamManager } from 'nats'
import type { TransportOptions } from '../../src/queue/transports/transport.js'

const run = promisify(execFile)

export const RABBITMQ_URL = process.env.REFGUARD_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
export const NATS_URL = process.env.REFGUARD_NATS_URL ?? 'nats://127.0.0.1:4222'

const NATS_SERVER = '/usr/sbin/nats-server'
const NATS_ARGS = ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log']
const COMMAND_TIMEOUT_MS = 60_000

/** A broker under test: where it is, fresh names for one test, and how to take it down and bring it back. */
export interface Broker {
  name: 'rabbitmq' | 'nats'
  url: string
  /** A URL where nothing listens. */
  unreachableUrl: string
  /** Queue, stream and consumer names no other test uses. */
  freshOptions(): TransportOptions
  /** How many published messages the broker has not yet delivered to any consumer. */
  undelivered(options: TransportOptions): Promise<number>
  /** How many consumers wait for messages (RabbitMQ: consumers of the queue; NATS: pull requests waiting); 0 when none is there yet. */
  consumers(options: TransportOptions): Promise<number>
  /** Deletes what freshOptions() named. */
  cleanUp(options: TransportOptions): Promise<void>
  stop(): Promise<void>
  /** Starts the broker unless it runs, and waits until it serves clients. */
  start(): Promise<void>
}

function suffix(): string {
  return randomBytes(4).toString('hex')
}

export const rabbitmq: Broker = {
  name: 'rabbitmq',
  url: RABBITMQ_URL,
  unreachableUrl: 'amqp://guest:guest@127.0.0.1:1',
  freshOptions: () => ({ queue: `refguard.test.${suffix()}` }),
  undelivered: (options) => withRabbitChannel(async (channel) => (await channel.checkQueue(options.queue!)).messageCount),
  consumers: (options) => withRabbitChannel(async (channel) => (await channel.checkQueue(options.queue!)).consumerCount).catch(() => 0),
  cleanUp: (options) => withRabbitChannel(async (channel) => void (await channel.deleteQueue(options.queue!))),
  async stop() {
    await run('rabbitmqctl', ['stop_app'], { timeout: COMMAND_TIMEOUT_MS })
  },
  async start() {
    // start_app on a running app is a no-op that succeeds.
    await run('rabbitmqctl', ['start_app'], { timeout: COMMAND_TIMEOUT_MS })
    await waitFor(() => portOpen(5672), 30_000, 'RabbitMQ to accept connections on 5672')
  },
}

export const nats: Broker = {
  name: 'nats',
  url: NATS_URL,
  unreachableUrl: 'nats://127.0.0.1:1',
  freshOptions: () => {
    const id = suffix()
    return { queue: `refguard.test.${id}`, stream: `REFGUARD_TEST_${id}`, consumer: `refguard-test-${id}` }
  },
  undelivered: (options) => withJetStream(async (jsm) => (await jsm.consumers.info(options.stream!, options.consumer!)).num_pending),
  consumers: (options) =>
    withJetStream(async (jsm) => (await jsm.consumers.info(options.stream!, options.consumer!)).num_waiting).catch(() => 0),
  cleanUp: (options) => withJetStream(async (jsm) => void (await jsm.streams.delete(options.stream!))),
  async stop() {
    await run('start-stop-daemon', ['--stop', '--oknodo', '--retry', '10', '--exec', NATS_SERVER], { timeout: COMMAND_TIMEOUT_MS })
  },
  async start() {
    await run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', NATS_SERVER, '--', ...NATS_ARGS], {
      timeout: COMMAND_TIMEOUT_MS,
    })
    await waitFor(
      () =>
        withJetStream(async (jsm) => void (await jsm.getAccountInfo())).then(
          () => true,
          () => false,
        ),
      30_000,
      'NATS JetStream to serve requests',
    )
  },
}

export const BROKERS: Broker[] = [rabbitmq, nats]

async function withRabbitChannel<T>(action: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(RABBITMQ_URL)
  try {
    const channel = await connection.createChannel()
    // A channel the broker closes (checkQueue of a queue that is not there yet) reports it as an 'error' event too.
    channel.on('error', () => undefined)
    return await action(channel)
  } finally {
    await connection.close()
  }
}

async function withJetStream<T>(action: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const connection = await connectNats({ servers: NATS_URL.replace(/^nats:\/\//, ''), timeout: 2_000 })
  try {
    return await action(await connection.jetstreamManager())
  } finally {
    await connection.close()
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port }, () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
}

/** Resolves once `condition` holds; rejects naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await delay(25)
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/*
 * A lock across test processes on the brokers: vitest runs test files in parallel forks, and a test that stops a
 * broker must not do so while a test in another file uses it. Tests hold the brokers shared (shareBrokers() in
 * beforeEach, releaseBrokers() in afterEach); a test that stops them runs that part in withBrokersExclusive(),
 * which waits until no other process holds them and keeps new holders out meanwhile. Holders are files named
 * after their process, so a holder that died (a killed test run) is recognised and cleared.
 */
const LOCK_DIR = join(tmpdir(), 'refguard-test-brokers.lock')
const EXCLUSIVE = join(LOCK_DIR, 'exclusive')
const LOCK_POLL_MS = 100
const LOCK_TIMEOUT_MS = 180_000

let shared: string | undefined

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The process id in a holder file, or undefined while it is being written. */
function holderPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8'))
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Whether the holder file at `path` is held by a live process; a dead holder's file is removed. */
function held(path: string): boolean {
  const pid = holderPid(path)
  if (pid === undefined) {
    // Missing, or just created and not yet written: held unless it has been empty for long (its writer died).
    try {
      if (Date.now() - statSync(path).mtimeMs < 10_000) return true
    } catch {
      return false
    }
  } else if (alive(pid)) return true
  rmSync(path, { force: true })
  return false
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${LOCK_TIMEOUT_MS} ms waiting for ${what} (lock files in ${LOCK_DIR})`)
    await delay(LOCK_POLL_MS)
  }
}

/** Holds the brokers shared, until releaseBrokers(): no other process stops them meanwhile. */
export async function shareBrokers(): Promise<void> {
  if (shared) return
  mkdirSync(LOCK_DIR, { recursive: true })
  const path = join(LOCK_DIR, `shared-${process.pid}-${suffix()}`)
  await until(() => {
    if (held(EXCLUSIVE)) return false
    writeFileSync(path, String(process.pid))
    // A process that took the brokers exclusively meanwhile saw no holder, or will wait for this one: look again.
    if (!held(EXCLUSIVE)) return true
    rmSync(path, { force: true })
    return false
  }, 'the brokers (another test file has stopped them)')
  shared = path
}

/** Gives up this process's shared hold. */
export function releaseBrokers(): void {
  if (shared) rmSync(shared, { force: true })
  shared = undefined
}

/**
 * Runs `action` with the brokers to this process alone (it may stop and start them; it must leave them running), then
 * holds them shared again, as before.
 */
export async function withBrokersExclusive<T>(action: () => Promise<T>): Promise<T> {
  const wasShared = shared !== undefined
  releaseBrokers()
  mkdirSync(LOCK_DIR, { recursive: true })
  await until(() => {
    try {
      writeFileSync(EXCLUSIVE, String(process.pid), { flag: 'wx' })
      return true
    } catch {
      held(EXCLUSIVE)
      return false
    }
  }, 'the brokers to be free of other exclusive holders')
  try {
    await until(
      () => readdirSync(LOCK_DIR).filter((name) => name.startsWith('shared-') && held(join(LOCK_DIR, name))).length === 0,
      'the tests of other files to finish with the brokers',
    )
    return await action()
  } finally {
    if (wasShared) {
      // Shared again before the exclusive hold ends, so that no other process stops the brokers in between.
      shared = join(LOCK_DIR, `shared-${process.pid}-${suffix()}`)
      writeFileSync(shared, String(process.pid))
    }
    rmSync(EXCLUSIVE, { force: true })
  }
}
