import { type Kysely, sql } from 'kysely'
import { BoundConnection } from './bound-driver.js'
import type { EnforcementContext } from './context.js'
import { runDeferredChecks } from './enforce-statement.js'
import type { ContextFactory, EnforcementSetup } from './enforcing-driver.js'
import { Runner, type TransactionState } from './runner.js'

/** What a queue worker needs of a guard beyond its public surface: its database and transactions with the engine. */
export interface GuardEngine {
  readonly family: 'postgres' | 'mysql'
  /** The guard's database, without enforcement (`guard.unguarded`). */
  readonly db: Kysely<any>
  /**
   * Runs `work` in a READ COMMITTED transaction of its own on one connection, with the engine's context and that
   * connection; commits if it resolves. `durable`: the commit waits for the WAL flush as the server is set (see below).
   */
  transaction<T>(work: (context: EnforcementContext, connection: Kysely<any>) => Promise<T>, options?: { durable?: boolean }): Promise<T>
  /** Runs `work` on one connection outside any transaction, with the engine's context: each of its statements commits on its own. */
  statements<T>(work: (context: EnforcementContext) => Promise<T>): Promise<T>
}

/**
 * Transactions for a worker's batches. READ COMMITTED on every engine: each statement sees what committed
 * before it (a batch re-reads the parents after locking the children), and MySQL takes no gap locks that
 * would hold up the application's inserts. On a PostgreSQL server a batch commits without waiting for its
 * WAL flush (`synchronous_commit = off`, for that transaction only): a server crash can lose the last
 * batches, but their effects and their progress are lost together, and the job (or sweep) simply does them
 * again; the application's own transactions, the outbox row among them, keep the server's setting.
 */
export function ownTransactions(
  inner: Kysely<any>,
  setup: Pick<EnforcementSetup, 'compile' | 'engine' | 'endTransaction'>,
  context: ContextFactory,
): GuardEngine {
  const family = setup.engine === 'mysql' ? 'mysql' : 'postgres'
  const begin = (durable: boolean) =>
    family === 'mysql'
      ? ['set transaction isolation level read committed', 'start transaction']
      : setup.engine === 'postgres' && !durable
        ? ['begin isolation level read committed; set local synchronous_commit = off']
        : ['begin isolation level read committed']
  /** `work` on one connection, with a runner tracking `transaction`. */
  const onConnection = <T>(transaction: TransactionState, work: (runner: Runner, connection: Kysely<any>) => Promise<T>): Promise<T> =>
    inner.connection().execute(async (bound) => {
      try {
        return await work(new Runner(new BoundConnection(bound, () => {}), setup.compile, setup.engine, transaction), bound)
      } finally {
        await setup.endTransaction?.(transaction)
      }
    })
  const state = (active: boolean): TransactionState => ({ active, isolation: 'read committed', deferred: [], ownRows: new Map() })
  return {
    family,
    db: inner,
    transaction: (work, options) =>
      onConnection(state(true), async (runner, connection) => {
        const engineContext = context(runner)
        for (const statement of begin(options?.durable ?? false)) await runner.run(sql.raw(statement))
        try {
          const result = await work(engineContext, connection)
          await runDeferredChecks(engineContext, runner.transaction.deferred)
          await runner.run(sql.raw('commit'))
          return result
        } catch (error) {
          await runner.run(sql.raw('rollback')).catch(() => {})
          throw error
        }
      }),
    statements: (work) => onConnection(state(false), (runner) => work(context(runner))),
  }
}

const engines = new WeakMap<object, GuardEngine>()

/** Records the engine of a guard, for `engineOf`. */
export function registerEngine(guard: object, engine: GuardEngine): void {
  engines.set(guard, engine)
}

/** The engine of a guard made by `createGuard`. */
export function engineOf(guard: object): GuardEngine {
  const engine = engines.get(guard)
  if (!engine) throw new TypeError('not a guard made by createGuard()')
  return engine
}
