import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import { describe, type ExpectStatic, it } from 'vitest'
import { runCheck } from '../src/audit/check.js'
import { type ResolvedConfig, resolveConfig } from '../src/config/normalize.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { runRestore } from '../src/repair/restore.js'
import { loadRun } from '../src/repair/runs.js'
import { archiveEntries } from './support/archive.js'
import { type CliProcess, startCli } from './support/cli.js'
import { createTestDatabase, type TestDatabase, type TestDialect } from './support/databases.js'
import { seededRandom } from './support/random.js'

/*
 * Crash safety of `refguard repair`: the CLI is killed at seeded points of a run of many small batches (SIGKILL,
 * or on PostgreSQL its connections terminated), then `--resume` finishes the run. Afterwards no orphan is left,
 * every row that disappeared or changed was archived exactly once (no batch archived twice, none lost), the
 * run's counts agree with the archive, and restore puts every table back exactly as it was.
 */

const BATCH_SIZE = 7
const SLEEP_MS = 5
/** The repair's PostgreSQL connections, found by name to terminate them. */
const APPLICATION_NAME = 'refguard-repair-under-test'

const RELATIONS = [
  'orders(customer_id) -> customers(id) on delete cascade',
  'orders(coupon_id) -> coupons(id) on delete set null',
  'order_items(order_id) -> orders(id) on delete cascade',
]
const PRIMARY_KEYS: Record<string, string[]> = {
  customers: ['id'],
  coupons: ['id'],
  orders: ['id'],
  order_items: ['order_id', 'line'],
}
/** Customers 1..60 exist, orders reference 1..80; coupons 1..10 exist, orders reference 1..14. */
const CUSTOMERS = 60
const COUPONS = 10
/** Orders 1..360 exist; order items reference orders 1..400. */
const ORDERS = 360
const ITEM_ORDERS = 400

/** Sorted primary keys per `table action`: what a repair deletes or changes, or what it archived. */
type Changes = Record<string, string[]>

/** customers <- orders <- order_items and coupons <- orders (set null), with orphans in every relation. */
function buildFixture(): { script: string; changes: Changes } {
  const orders: string[] = []
  const items: string[] = []
  const changes: Changes = { 'order_items delete': [], 'orders delete': [], 'orders update': [] }
  const deletedOrders = new Set<number>()
  for (let id = 1; id <= ORDERS; id++) {
    const customer = ((id * 37) % 80) + 1
    const orphan = customer > CUSTOMERS
    // An orphaned order keeps a valid coupon (or none): every row is changed once, deleted or its coupon nulled.
    const coupon = id % 3 === 0 ? null : orphan ? (id % COUPONS) + 1 : ((id * 11) % 14) + 1
    const total = `${(id * 7919) % 1000}.${String(id % 100).padStart(2, '0')}`
    orders.push(`(${id}, ${customer}, ${coupon ?? 'null'}, ${total}, ${id % 4 === 0 ? 'null' : `'note ${id}'`})`)
    if (orphan) {
      deletedOrders.add(id)
      changes['orders delete']?.push(String(id))
    } else if (coupon !== null && coupon > COUPONS) changes['orders update']?.push(String(id))
  }
  for (let order = 1; order <= ITEM_ORDERS; order++) {
    for (let line = 1; line <= 2; line++) {
      items.push(`(${order}, ${line}, 'SKU-${order}-${line}', ${line + (order % 5)})`)
      if (order > ORDERS || deletedOrders.has(order)) changes['order_items delete']?.push(`${order}/${line}`)
    }
  }
  const range = (count: number, row: (id: number) => string) => Array.from({ length: count }, (_, i) => row(i + 1)).join(', ')
  const script = `
    create table customers (id int primary key, name varchar(40) not null);
    create table coupons (id int primary key, code varchar(20) not null);
    create table orders (id int primary key, customer_id int not null, coupon_id int null, total decimal(10, 2) not null, note varchar(40) null);
    create table order_items (order_id int not null, line int not null, sku varchar(20) not null, qty int not null, primary key (order_id, line));
    create index orders_customer_id on orders (customer_id);
    insert into customers values ${range(CUSTOMERS, (id) => `(${id}, 'customer ${id}')`)};
    insert into coupons values ${range(COUPONS, (id) => `(${id}, 'C${id}')`)};
    insert into orders values ${orders.join(', ')};
    insert into order_items values ${items.join(', ')}`
  for (const keys of Object.values(changes)) keys.sort()
  return { script, changes }
}

const FIXTURE = buildFixture()
const CHANGED_ROWS = Object.values(FIXTURE.changes).reduce((sum, keys) => sum + keys.length, 0)
/** One batch per started `BATCH_SIZE` rows of each step. */
const EXPECTED_BATCHES = Object.values(FIXTURE.changes).reduce((sum, keys) => sum + Math.ceil(keys.length / BATCH_SIZE), 0)

/**
 * Where and how a run is interrupted. With the table archive: after a seeded number of committed batches plus a
 * seeded delay, anywhere in a batch or the pause between batches. With the file archive: as soon as the batch
 * holding a seeded row has written its lines, mostly before that batch commits (what truncateAfter is for).
 * How: the process killed; killed part way through writing to the file (`torn-write`: a large write can stop
 * between pages, leaving part of a line); or (PostgreSQL) its connections terminated under it.
 */
interface KillPoint {
  seed: number
  archive: 'table' | 'file'
  cut: 'sigkill' | 'torn-write' | 'lost-connection'
}

/** Odd seeds archive to the table, even ones to a file, every fourth of them torn part way through a write. */
function sigkills(seeds: number[]): KillPoint[] {
  return seeds.map((seed) => ({ seed, archive: seed % 2 === 0 ? 'file' : 'table', cut: seed % 4 === 0 ? 'torn-write' : 'sigkill' }))
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
/**
 * PGlite runs in the CLI's process, so the test cannot watch a run's progress in its database while the CLI has
 * it open: its kill points use the file archive, which shows the progress.
 */
const KILL_POINTS: Record<TestDialect, KillPoint[]> = {
  postgres: [
    ...sigkills(SEEDS),
    { seed: 11, archive: 'file', cut: 'lost-connection' },
    { seed: 12, archive: 'table', cut: 'lost-connection' },
  ],
  mariadb: sigkills(SEEDS),
  pglite: [
    { seed: 1, archive: 'file', cut: 'sigkill' },
    { seed: 2, archive: 'file', cut: 'torn-write' },
  ],
}

function keyOf(table: string, row: Record<string, unknown>): string {
  return (PRIMARY_KEYS[table] as string[]).map((column) => String(row[column])).join('/')
}

/** Every row of every fixture table, in primary key order. */
type Snapshot = Record<string, Record<string, unknown>[]>

async function snapshot(db: Kysely<any>): Promise<Snapshot> {
  const tables: Snapshot = {}
  for (const [table, key] of Object.entries(PRIMARY_KEYS)) {
    const order = sql.join(key.map((column) => sql.id(column)))
    tables[table] = (await sql<Record<string, unknown>>`select * from ${sql.id(table)} order by ${order}`.execute(db)).rows
  }
  return tables
}

/** The rows that disappeared (`delete`) or changed (`update`) between two snapshots. */
function changesBetween(before: Snapshot, after: Snapshot): Changes {
  const changes: Changes = {}
  for (const table of Object.keys(PRIMARY_KEYS)) {
    const now = new Map((after[table] ?? []).map((row) => [keyOf(table, row), JSON.stringify(row)]))
    for (const row of before[table] ?? []) {
      const key = keyOf(table, row)
      const current = now.get(key)
      const action = current === undefined ? 'delete' : current === JSON.stringify(row) ? undefined : 'update'
      if (action) (changes[`${table} ${action}`] ??= []).push(key)
    }
  }
  for (const keys of Object.values(changes)) keys.sort()
  return changes
}

/** The keys a run archived, per `table action`, duplicates kept: read straight from the table or the JSONL file. */
async function archivedChanges(db: Kysely<any>, runId: string, file: string | undefined): Promise<Changes> {
  const entries = file
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line))
        .filter((entry) => entry.run === runId)
        .map((entry) => ({ table: entry.tableName as string, action: entry.action as string, row: entry.row as unknown }))
    : await archiveEntries(db, runId)
  const changes: Changes = {}
  for (const { table, action, row } of entries) {
    const values = (typeof row === 'string' ? JSON.parse(row) : row) as Record<string, unknown>
    ;(changes[`${table} ${action}`] ??= []).push(keyOf(table, values))
  }
  for (const keys of Object.values(changes)) keys.sort()
  return changes
}

/** One database under test: fresh fixtures per kill point and a view of a run's progress while the CLI runs. */
interface Target {
  url: string
  /** Fixture tables as built, no repair run, no archive file. */
  reset(archiveFile: string): Promise<void>
  /** Batches the run has committed (-1 before it has started); absent where the CLI holds the only connection. */
  committedBatches?: () => Promise<number>
  /** The run the killed CLI left behind. */
  runId(archiveFile: string): Promise<string>
  /** A connection for checks and restore; `provided` when the test already holds one. */
  databases(config: ResolvedConfig): DatabaseSet
}

const RESET = 'drop table if exists order_items, orders, coupons, customers, refguard_archive, refguard_runs'

function serverTarget(test: TestDatabase): Target {
  return {
    url: test.url,
    async reset(archiveFile) {
      rmSync(archiveFile, { force: true })
      await test.exec(`${RESET}; ${FIXTURE.script}`)
    },
    async committedBatches() {
      const { rows } = await sql<{ state: unknown }>`select state from refguard_runs`.execute(test.db).catch(() => ({ rows: [] }))
      const state = rows[0]?.state
      if (state === undefined) return -1
      return (typeof state === 'string' ? JSON.parse(state) : state).batches
    },
    async runId() {
      const { rows } = await sql<{ id: string }>`select id from refguard_runs`.execute(test.db)
      if (rows.length !== 1) throw new Error(`expected one repair run, found ${rows.length}`)
      return (rows[0] as { id: string }).id
    },
    databases: (config) => new DatabaseSet(config, { main: test.database }),
  }
}

/** PGlite: a copy of a directory database made once, opened by one process at a time (the CLI or the test). */
function pgliteTarget(template: string, dir: string): Target {
  return {
    url: `pglite://${dir}`,
    async reset(archiveFile) {
      rmSync(archiveFile, { force: true })
      rmSync(dir, { recursive: true, force: true })
      cpSync(template, dir, { recursive: true })
    },
    async runId(archiveFile) {
      return JSON.parse(readFileSync(archiveFile, 'utf8').split('\n')[0] as string).run
    },
    databases: (config) => new DatabaseSet(config),
  }
}

/** Ends the archive file in the first half of a line, no newline: what a write stopped part way leaves. */
function tearArchive(file: string): void {
  const lines = readFileSync(file, 'utf8').split('\n')
  const last = lines[lines.length - 2] as string
  appendFileSync(file, last.slice(0, Math.ceil(last.length / 2)))
}

/** Rows in the archive file: a batch writes them before it commits. */
function fileRows(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0
}

/** Polls `reached` every `intervalMs` until it holds (true) or the CLI has ended (false). */
async function waitFor(cli: CliProcess, intervalMs: number, reached: () => Promise<boolean>): Promise<boolean> {
  let ended = false
  void cli.result.then(() => {
    ended = true
  })
  while (!ended) {
    if (await reached()) return true
    await sleep(intervalMs)
  }
  return false
}

/** Terminates the CLI's PostgreSQL connections until it gives up; its pool reconnects after an idle one is lost. */
async function terminateConnections(test: TestDatabase, cli: CliProcess): Promise<void> {
  let ended = false
  void cli.result.then(() => {
    ended = true
  })
  const until = Date.now() + 20_000
  while (!ended && Date.now() < until) {
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${APPLICATION_NAME}`.execute(test.db)
    await sleep(2)
  }
}

/** Interrupts a repair at the kill point, resumes it, and checks the outcome against the fixture. */
async function crashAndResume(
  expect: ExpectStatic,
  setup: { target: Target; test: TestDatabase; original: Snapshot; work: string },
  point: KillPoint,
): Promise<void> {
  const { target, test, original, work } = setup
  const next = seededRandom(point.seed)
  const moment: { row: number } | { batches: number; delayMs: number } =
    point.archive === 'file'
      ? { row: 1 + Math.floor(next() * (CHANGED_ROWS - BATCH_SIZE)) }
      : { batches: Math.floor(next() * (EXPECTED_BATCHES - 1)), delayMs: Math.floor(next() * (SLEEP_MS + 5)) }
  const when = 'row' in moment ? `once the file holds ${moment.row} rows` : `${moment.delayMs} ms after ${moment.batches} batches committed`
  const label = `kill point seed ${point.seed} (${point.cut} ${when}, ${point.archive} archive)`
  const archiveFile = join(work, `archive-${point.seed}.jsonl`)
  const configFile = join(work, 'refguard.config.json')
  writeFileSync(configFile, JSON.stringify({ databases: { main: { url: target.url } }, relations: RELATIONS }))
  await target.reset(archiveFile)

  const archive = point.archive === 'file' ? ['--archive', `file:${archiveFile}`] : []
  const repair = ['repair', '--config', configFile, '--json', '--batch-size', String(BATCH_SIZE), '--sleep', String(SLEEP_MS)]
  const cli = startCli([...repair, '--apply', ...archive], { env: { PGAPPNAME: APPLICATION_NAME } })
  let reached: boolean
  if ('row' in moment) {
    reached = await waitFor(cli, 1, async () => fileRows(archiveFile) >= moment.row)
  } else {
    const committed = target.committedBatches
    if (!committed) throw new Error(`${label}: this dialect cannot show a run's progress while the CLI runs`)
    reached = await waitFor(cli, 10, async () => (await committed()) >= moment.batches)
  }
  if (!reached) {
    const result = await cli.result
    expect.fail(`${label}: the run ended (exit ${result.code}) first: ${result.stderr}`)
  }
  if ('delayMs' in moment) await sleep(moment.delayMs)
  if (point.cut === 'lost-connection') {
    await terminateConnections(test, cli)
    const result = await cli.result
    expect(result.code, `${label}: ${result.stderr}`).toBe(2)
    expect(result.stderr, label).toMatch(/^refguard: /)
  } else {
    cli.child.kill('SIGKILL')
    const result = await cli.result
    expect(result.signal, `${label}: ended by itself (exit ${result.code}): ${result.stderr}`).toBe('SIGKILL')
    if (point.cut === 'torn-write') tearArchive(archiveFile)
  }

  const runId = await target.runId(archiveFile)
  const resumed = await startCli(['repair', '--config', configFile, '--json', '--resume', runId]).result
  expect(resumed.code, `${label}: resume failed: ${resumed.stderr}`).toBe(0)
  const report = JSON.parse(resumed.stdout)
  expect(report.complete, label).toBe(true)
  expect(report.remainingOrphans, label).toBe(0)

  const config = resolveConfig({ databases: { main: target.url }, relations: RELATIONS })
  const databases = target.databases(config)
  try {
    const db = (await databases.get('main')).db
    const check = await runCheck(config, databases)
    expect(
      check.relations.map((relation) => relation.orphans),
      label,
    ).toEqual(RELATIONS.map(() => 0))

    const run = await loadRun(db, runId)
    expect(run.status, label).toBe('done')
    const changed = run.steps.reduce((sum, step) => sum + step.changed, 0)
    const archivedCount = run.steps.reduce((sum, step) => sum + step.archived, 0)
    const archived = await archivedChanges(db, runId, point.archive === 'file' ? archiveFile : undefined)
    const actual = changesBetween(original, await snapshot(db))
    // No row archived twice, none lost: the archive holds exactly the rows that disappeared or changed.
    expect(archived, label).toEqual(actual)
    expect(actual, label).toEqual(FIXTURE.changes)
    const rows = Object.values(actual).reduce((sum, keys) => sum + keys.length, 0)
    expect([changed, archivedCount, report.changed, report.archived], label).toEqual([rows, rows, rows, rows])

    await runRestore(config, databases, runId, { apply: true })
    expect(await snapshot(db), label).toEqual(original)
  } finally {
    await databases.close()
  }
}

/** Runs a dialect's kill points one after the other, each on a fresh copy of the fixture. */
async function runKillPoints(expect: ExpectStatic, dialect: TestDialect): Promise<void> {
  const test = await createTestDatabase(dialect, 'resume')
  const work = mkdtempSync(join(tmpdir(), 'rg-resume-'))
  try {
    await test.exec(FIXTURE.script)
    const original = await snapshot(test.db)
    if (dialect === 'pglite') await test.disconnect()
    const target = dialect === 'pglite' ? pgliteTarget(test.url.slice('pglite://'.length), join(work, 'db')) : serverTarget(test)
    for (const point of KILL_POINTS[dialect]) await crashAndResume(expect, { target, test, original, work }, point)
  } finally {
    await test.drop()
    rmSync(work, { recursive: true, force: true })
  }
}

describe('repair crash safety: interrupted at seeded batches, resumed, checked, restored', () => {
  for (const dialect of ['postgres', 'mariadb'] as const) {
    it.concurrent(`${dialect}: ${KILL_POINTS[dialect].length} kill points`, { timeout: 240_000 }, ({ expect }) =>
      runKillPoints(expect, dialect),
    )
  }
  // Alone, after the others: PGlite opened in this process blocks the event loop that times their kills.
  it(`pglite: ${KILL_POINTS.pglite.length} kill points`, { timeout: 240_000 }, ({ expect }) => runKillPoints(expect, 'pglite'))
})
