import { type Kysely, sql, type Transaction } from 'kysely'
import type { ServerDialect } from './connections.js'
import { waitForLockWaiter } from './lock-wait.js'

/** The parent a bystander transaction inserts while T1 is open. */
const BYSTANDER_PARENT_ID = 1000

type Write = (trx: Transaction<any>) => Promise<unknown>

/** The error a promise rejects with, or undefined when it fulfils. */
function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  )
}

/** A promise with its resolve and reject at hand, for handing turns between transactions. */
function signal(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve = () => {}
  let reject: (error: unknown) => void = () => {}
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve
    reject = onReject
  })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/** A plain read of both tables: fixes the repeatable-read snapshot of the transaction. */
async function takeSnapshot(trx: Transaction<any>): Promise<void> {
  await sql`select count(*) from parents`.execute(trx)
  await sql`select count(*) from children`.execute(trx)
}

/** The two sides of an interleaving where T1 commits inside T2's open repeatable-read snapshot. */
export interface SnapshotInterleaving {
  /** T2's connection: it takes its snapshot first and writes last. */
  snapshotDb: Kysely<any>
  /** T1, on another connection, committed while T2's snapshot is open. */
  concurrentWrite: () => Promise<unknown>
  /** T2's write after T1 committed; T2 then commits. */
  write: Write
}

/** T2 (repeatable read) takes its snapshot, T1 commits, T2 writes and commits. Returns T2's error, or undefined if it committed. */
export function writeAfterConcurrentCommit(steps: SnapshotInterleaving): Promise<unknown> {
  return settle(
    steps.snapshotDb
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        await takeSnapshot(trx)
        await steps.concurrentWrite()
        await steps.write(trx)
      }),
  )
}

/** The two sides of an interleaving where T2's write waits on a lock of uncommitted T1. */
export interface BlockedInterleaving {
  dialect: ServerDialect
  /** A third connection: commits a bystander transaction, then watches for T2 to wait. */
  observer: Kysely<any>
  firstDb: Kysely<any>
  /** T1's write, kept uncommitted until T2 waits on it. */
  firstWrite: Write
  secondDb: Kysely<any>
  /** T2's write at repeatable read, with its snapshot taken while T1 is uncommitted. */
  secondWrite: Write
}

/**
 * T1 writes and stays open; a bystander transaction commits; T2 (repeatable read) takes its snapshot and writes,
 * which must wait on T1's lock; T1 commits; T2 finishes. Returns whether T2 was seen waiting, and T2's error.
 */
export async function writeWhileBlocked(steps: BlockedInterleaving): Promise<{ waited: boolean; error: unknown }> {
  const firstWritten = signal()
  const firstMayCommit = signal()
  const first = steps.firstDb.transaction().execute(async (trx) => {
    await steps.firstWrite(trx)
    firstWritten.resolve()
    await firstMayCommit.promise
  })
  await Promise.race([firstWritten.promise, first])
  // On a busy server other transactions commit meanwhile; in PostgreSQL that puts T1's ids below T2's snapshot xmax.
  await steps.observer.insertInto('parents').values({ id: BYSTANDER_PARENT_ID, v: 0 }).execute()
  const second = settle(
    steps.secondDb
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        await takeSnapshot(trx)
        await steps.secondWrite(trx)
      }),
  )
  const waited = await waitForLockWaiter(steps.observer, steps.dialect)
  firstMayCommit.resolve()
  await first
  return { waited, error: await second }
}

/** Two transactions that each write first their own rows, then the other's. */
export interface CrossedInterleaving {
  dbs: [Kysely<any>, Kysely<any>]
  /** Transaction `index`'s first write. */
  ownWrite: (trx: Transaction<any>, index: 0 | 1) => Promise<unknown>
  /** Transaction `index`'s second write, made once both first writes are done. */
  crossWrite: (trx: Transaction<any>, index: 0 | 1) => Promise<unknown>
}

/** Runs both transactions of a crossed interleaving (a deadlock when the writes lock rows); returns each one's error. */
export async function crossedWrites(steps: CrossedInterleaving): Promise<[unknown, unknown]> {
  const written = [signal(), signal()] as const
  const bothWritten = Promise.all(written.map((mark) => mark.promise))
  const run = (index: 0 | 1) =>
    settle(
      steps.dbs[index].transaction().execute(async (trx) => {
        await steps.ownWrite(trx, index).then(written[index].resolve, (error: unknown) => {
          written[index].reject(error)
          throw error
        })
        await bothWritten
        await steps.crossWrite(trx, index)
      }),
    )
  return Promise.all([run(0), run(1)])
}
