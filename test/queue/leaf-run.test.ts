import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGuard, type Guard, type JobEvent, startWorker } from '../../src/index.js'
import { ensureJobTables } from '../../src/queue/tables.js'
import { createTestDatabase, type TestDatabase } from '../support/databases.js'
import { countRows } from './fixture.js'

/** Notes of owners whose codes need quoting; `kind` is the relation's child filter, its value quoted too (and, for memos, with a backslash). */
const SCHEMA = `
create table owners (code text primary key);
create table notes (id serial primary key, owner_code text not null, kind text not null);
create table memos (id serial primary key, owner_code text not null, kind text not null);
create index notes_owner on notes (owner_code);
create index memos_owner on memos (owner_code)`
const NOTE_KIND = "it's"
const MEMO_KIND = 'a\\b'
const OWNERS = 40
const DELETED = 30
const PER_OWNER = 400
const BATCH = 10

/**
 * A pg pool of the test's own. Dropping the database ends its sessions, perhaps while a client is still closing:
 * as in the pools refguard opens (src/db/postgres.ts), that error must not escape.
 */
function testPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config)
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  return pool
}

/**
 * A pg pool that sends every statement outside a transaction to the next of its sessions, and a transaction's
 * statements to the session it began on, as a pooler in transaction mode (PgBouncer) does: session state set by
 * one statement is not there for the next.
 */
function transactionPooler(url: string, sessions: number) {
  const pool = testPool({ connectionString: url, max: sessions })
  const clients: pg.PoolClient[] = []
  const inTransaction = new Set<pg.PoolClient>()
  let next = 0
  return {
    clients,
    async open(): Promise<void> {
      for (let i = 0; i < sessions; i++) clients.push(await pool.connect())
    },
    async connect() {
      let pinned: pg.PoolClient | undefined
      return {
        query(text: string, values?: unknown[]) {
          const free = clients.filter((client) => !inTransaction.has(client))
          const client = pinned ?? free[next++ % free.length] ?? clients[0]
          if (!client) throw new Error('the pooler is not open')
          if (/^\s*begin/i.test(text)) {
            pinned = client
            inTransaction.add(client)
          }
          const result = client.query(text, values)
          if (/^\s*(commit|rollback)/i.test(text)) {
            inTransaction.delete(client)
            pinned = undefined
          }
          return result
        },
        release() {},
      }
    },
    async end(): Promise<void> {
      for (const client of clients) client.release()
      await pool.end()
    },
  }
}

/** Deletes the owners whose code starts with `prefix` through a guard on `db`, and drains their job with a worker on it. */
async function drainOwners(db: Kysely<any>, prefix: string): Promise<JobEvent[]> {
  const guard = await createGuard({ db, relations: [relation('notes', NOTE_KIND)] })
  try {
    await guard.db.deleteFrom('owners').where('code', 'like', `${prefix}%`).execute()
    const events: JobEvent[] = []
    const worker = await startWorker({ guard, batchSize: BATCH, maxAttempts: 1, once: true, onJob: (event) => events.push(event) })
    await worker.stopped
    return events
  } finally {
    await guard.close()
  }
}

function relation(table: string, kind: string) {
  return {
    child: { table, columns: ['owner_code'], where: { kind } },
    parent: { table: 'owners', columns: ['code'] },
    onDelete: 'cascade' as const,
    mode: 'queued' as const,
  }
}

// Runs of batches on the server exist on a PostgreSQL server only; elsewhere every batch is a statement (worker.test.ts).
describe('leaf batches run on the server, on postgres', () => {
  let test: TestDatabase
  let db: Kysely<any>
  let guard: Guard
  const statements: string[] = []

  beforeAll(async () => {
    test = await createTestDatabase('postgres', 'leaf_run')
    await test.exec(SCHEMA)
    await ensureJobTables(test.db, 'postgres')
    await sql`insert into owners select 'o''' || s from generate_series(1, ${sql.lit(OWNERS)}) s`.execute(test.db)
    for (const table of ['notes', 'memos']) {
      const kind = table === 'notes' ? NOTE_KIND : MEMO_KIND
      await sql`insert into ${sql.id(table)} (owner_code, kind)
        select code, case when n <= ${sql.lit(PER_OWNER)} then ${kind} else 'other' end
        from owners, generate_series(1, ${sql.lit(PER_OWNER + 2)}) n`.execute(test.db)
    }
    db = new Kysely({
      dialect: new PostgresDialect({ pool: testPool({ connectionString: test.url, max: 4 }) }),
      log: (event) => {
        statements.push(event.query.sql)
      },
    })
    guard = await createGuard({ db, relations: [relation('notes', NOTE_KIND), relation('memos', MEMO_KIND)] })
  })
  afterAll(async () => {
    await guard?.close()
    await db?.destroy()
    await test?.drop()
  })

  it('delete exactly the filtered children of the deleted keys, in runs of many batches, one statement per batch where a value cannot be inlined', async () => {
    await guard.db
      .deleteFrom('owners')
      .where(sql`cast(substr(code, 3) as int)`, '<=', DELETED)
      .execute()
    const events: JobEvent[] = []
    statements.length = 0
    const worker = await startWorker({ guard, id: "worker's", batchSize: BATCH, once: true, onJob: (event) => events.push(event) })
    // Another connection watches the notes job's progress: each batch commits on its own, so it sees far more values than runs.
    const seen = new Set<number>()
    let running = true
    const watching = (async () => {
      while (running) {
        const { rows } = await sql<{
          done: string
        }>`select rows_done as done from refguard_jobs where relation = 'notes_owner_code_fkey'`.execute(test.db)
        for (const row of rows) seen.add(Number(row.done))
      }
    })()
    await worker.stopped.finally(() => {
      running = false
    })
    await watching
    const perTable = DELETED * PER_OWNER
    expect(events.map((event) => [event.relation, event.state, event.rows]).sort()).toEqual([
      ['memos_owner_code_fkey', 'done', perTable],
      ['notes_owner_code_fkey', 'done', perTable],
    ])
    const { rows } = await sql<{ rows_done: string }>`select rows_done from refguard_jobs order by relation`.execute(test.db)
    expect(rows.map((row) => Number(row.rows_done))).toEqual([perTable, perTable])
    for (const [table, kind] of [
      ['notes', NOTE_KIND],
      ['memos', MEMO_KIND],
    ] as const) {
      expect(await countRows(test.db, table, sql`kind = ${kind}`)).toBe((OWNERS - DELETED) * PER_OWNER)
      expect(await countRows(test.db, table, sql`kind = 'other'`)).toBe(OWNERS * 2)
      expect(await countRows(test.db, table, sql`owner_code not in (select code from owners) and kind = ${kind}`)).toBe(0)
    }
    // 1,200 batches per table: the notes' went to the server in runs (a quoted value is written in as a literal),
    // the memos' one statement each (a backslash is not: the server's standard_conforming_strings decides what it means).
    const runs = statements.filter((text) => text.startsWith('do $refguard_run$'))
    expect(runs.length).toBeGreaterThan(0)
    expect(runs.length).toBeLessThan(perTable / BATCH / 10)
    expect(runs.every((text) => text.includes('"notes"') && !text.includes('"memos"'))).toBe(true)
    expect([...seen].filter((done) => done > 0 && done < perTable).length).toBeGreaterThan(runs.length + 1)
    expect(statements.filter((text) => text.includes('delete from "public"."memos"')).length).toBeGreaterThanOrEqual(perTable / BATCH)
  })

  it('behind a pooler in transaction mode, acts on its own keys only, and goes on one batch at a time', async () => {
    await sql`insert into owners select 'q' || s from generate_series(1, 5) s`.execute(test.db)
    await sql`insert into notes (owner_code, kind) select code, ${NOTE_KIND} from owners, generate_series(1, 300) where code like 'q%'`.execute(
      test.db,
    )
    // Orphans that no job is for: they stay.
    await sql`insert into notes (owner_code, kind) select 'x1', ${NOTE_KIND} from generate_series(1, 50)`.execute(test.db)
    await sql`delete from refguard_jobs`.execute(test.db)
    const pooler = transactionPooler(test.url, 3)
    await pooler.open()
    // What an earlier run left in every session: keys and a report that are not this job's.
    for (const client of pooler.clients) {
      await client.query(`select set_config('refguard.leaf_keys', '{x1}', false), set_config('refguard.leaf_run', $1, false)`, [
        JSON.stringify({ token: 'stale', rows: 0, found: 0, owned: 1, from: 0, width: 1 }),
      ])
    }
    const pooled = new Kysely<any>({ dialect: new PostgresDialect({ pool: pooler as unknown as pg.Pool }) })
    try {
      const events = await drainOwners(pooled, 'q')
      expect(events.map((event) => [event.state, event.error])).toEqual([['done', undefined]])
      expect(await countRows(test.db, 'notes', sql`owner_code like 'q%'`)).toBe(0)
      expect(await countRows(test.db, 'notes', sql`owner_code = 'x1'`)).toBe(50)
      const { rows } = await sql<{ rows_done: string }>`select rows_done from refguard_jobs`.execute(test.db)
      expect(rows.map((row) => Number(row.rows_done))).toEqual([1500])
    } finally {
      await pooled.destroy()
    }
  })

  it('keeps a run within half the statement_timeout of its connections', async () => {
    await sql`insert into owners select 't' || s from generate_series(1, 10) s`.execute(test.db)
    await sql`insert into notes (owner_code, kind) select code, ${NOTE_KIND} from owners, generate_series(1, 2000) where code like 't%'`.execute(
      test.db,
    )
    await sql`delete from refguard_jobs`.execute(test.db)
    // The runs of 20,000 rows in batches of 10 take longer than the 80 ms each statement may.
    const timed = new Kysely<any>({
      dialect: new PostgresDialect({ pool: testPool({ connectionString: test.url, statement_timeout: 80 }) }),
    })
    try {
      const events = await drainOwners(timed, 't')
      expect(events.map((event) => [event.state, event.rows, event.error])).toEqual([['done', 20_000, undefined]])
      expect(await countRows(test.db, 'notes', sql`owner_code like 't%'`)).toBe(0)
    } finally {
      await timed.destroy()
    }
  })
})
