import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import { createGuard, type Guard, startWorker } from '../../src/index.js'
import { createShopDatabase, emptyShop, fillShop, jobStates, orphans } from './fixture.js'
import type { TestDatabase } from '../support/databases.js'

/** Orders are the parents of queued lines (so their batches are transactions); lines are a leaf (their batches run on the server). */
const RELATIONS = [
  'orders(customer_id) -> customers(id) on delete cascade mode queued',
  'order_lines(order_id) -> orders(id) on delete cascade mode queued',
]
const WORKERS = 4

/**
 * Batches under way on the database, as another connection sees them: sessions holding a row lock or a write lock on
 * orders or order_lines. A batch takes its slot first, then its locks, and gives both back when it commits; between
 * the batches of a run, and while it waits for a slot, a session holds neither.
 */
async function batchesUnderWay(test: TestDatabase): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select count(distinct pid) as n from pg_locks
    where granted and pid <> pg_backend_pid() and locktype = 'relation' and mode in ('RowExclusiveLock', 'RowShareLock')
      and relation in (cast('orders' as regclass), cast('order_lines' as regclass))`.execute(test.db)
  return Number(rows[0]?.n)
}

describe('workers with a cap on batches at once (dbConcurrency), on postgres', () => {
  let test: TestDatabase
  let guard: Guard

  beforeAll(async () => {
    test = await createShopDatabase('postgres', 'db_concurrency')
    guard = await createGuard({ db: test.db, relations: RELATIONS })
  })
  afterAll(async () => {
    await guard?.close()
    await test?.drop()
  })

  /** Four workers drain the cascade of 8 customers; the most batches the watcher saw under way at once. */
  async function drainWatched(dbConcurrency?: number): Promise<number> {
    await emptyShop(test)
    await fillShop(test.db, 'postgres', { customers: 8, orders: 20, lines: 400 })
    for (let customer = 1; customer <= 8; customer++) await guard.db.deleteFrom('customers').where('id', '=', customer).execute()
    const workers = await Promise.all(
      Array.from({ length: WORKERS }, () => startWorker({ guard, batchSize: 40, pollMs: 5, ...(dbConcurrency ? { dbConcurrency } : {}) })),
    )
    let most = 0
    while (Object.keys(await jobStates(test.db)).some((state) => state === 'pending' || state === 'running')) {
      most = Math.max(most, await batchesUnderWay(test))
    }
    await Promise.all(workers.map((worker) => worker.stop()))
    // A job of orders per customer, each one batch that enqueues a job for its lines.
    expect(await jobStates(test.db)).toEqual({ done: 16 })
    expect(await orphans(test.db)).toMatchObject({ orders: 0, order_lines: 0 })
    return most
  }

  it('runs one batch at a time with a cap of 1, where four workers without it run several', async () => {
    expect(await drainWatched()).toBeGreaterThan(1)
    expect(await drainWatched(1)).toBe(1)
  })

  it('refuses a cap below 1', async () => {
    await expect(startWorker({ guard, dbConcurrency: 0 })).rejects.toThrow(UsageError)
  })
})

describe('a cap on batches at once, on mariadb', () => {
  it('is refused: the slots are PostgreSQL advisory locks', async () => {
    const test = await createShopDatabase('mariadb', 'db_concurrency')
    const guard = await createGuard({ db: test.db, relations: RELATIONS })
    try {
      await expect(startWorker({ guard, dbConcurrency: 1 })).rejects.toThrow(/PostgreSQL only/)
    } finally {
      await guard.close()
      await test.drop()
    }
  })
})
