import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  InsertQueryNode,
  type QueryCompiler,
  type QueryResult,
  sql,
  type TransactionSettings,
} from 'kysely'
import type { EnforcementContext } from './context.js'
import { enforceStatement, needsEnforcement, runDeferredChecks } from './enforce-statement.js'
import { tryFastInsert } from './fast-insert.js'
import { Runner, type TransactionState } from './runner.js'

/** Builds the context the engine needs for statements on one connection. */
export type ContextFactory = (runner: Runner) => EnforcementContext

/** How the engine reaches the database: compiler, engine name and the tables it guards. */
export interface EnforcementSetup {
  compile: QueryCompiler['compileQuery']
  engine: Runner['engine']
  guardedTables: Set<string>
  context: ContextFactory
  /** Called once a transaction has committed or rolled back (releases what it held elsewhere: remote parent locks). */
  endTransaction?: (transaction: TransactionState) => Promise<void>
}

let savepointCounter = 0

/** A connection whose writes are enforced: each one runs atomically with its checks and cascades. */
class EnforcingConnection implements DatabaseConnection {
  readonly transaction: TransactionState = { active: false, deferred: [], ownRows: new Map() }
  /** The isolation level of the transactions refguard opens itself (the session default), once learnt. */
  private defaultIsolation: string | undefined

  constructor(
    readonly inner: DatabaseConnection,
    private readonly setup: EnforcementSetup,
  ) {}

  /** Runs refguard's own statements on this connection, bypassing enforcement. */
  runner(): Runner {
    return new Runner(this.inner, this.setup.compile, this.setup.engine, this.transaction)
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (!needsEnforcement(compiled, this.setup.guardedTables)) return this.inner.executeQuery<R>(compiled)
    const runner = this.runner()
    const context = this.setup.context(runner)
    if (this.transaction.active) {
      // A savepoint makes the statement atomic without ending the caller's transaction, as MySQL does on an error.
      const savepoint = `refguard_${++savepointCounter}`
      const deferredBefore = this.transaction.deferred.length
      await runner.run(rawSql(`savepoint ${savepoint}`))
      try {
        const result = await enforceStatement(context, compiled)
        await runner.run(rawSql(`release savepoint ${savepoint}`))
        return result as QueryResult<R>
      } catch (error) {
        // InnoDB ends the whole transaction on a deadlock, savepoint included: the original error is what matters.
        await runner.run(rawSql(`rollback to savepoint ${savepoint}`)).catch(() => {})
        this.transaction.deferred.length = deferredBefore
        throw error
      }
    }
    if (InsertQueryNode.is(compiled.query)) {
      const fast = await tryFastInsert(context, compiled.query)
      if (fast) return fast as QueryResult<R>
    }
    await runner.run(rawSql(this.setup.engine === 'mysql' ? 'start transaction' : 'begin'))
    this.transaction.active = true
    this.transaction.isolation = this.defaultIsolation
    try {
      const result = await enforceStatement(context, compiled)
      await runDeferredChecks(context, this.transaction.deferred)
      await runner.run(rawSql('commit'))
      return result as QueryResult<R>
    } catch (error) {
      await runner.run(rawSql('rollback')).catch(() => {})
      throw error
    } finally {
      this.defaultIsolation = this.transaction.isolation
      await this.endTransaction()
    }
  }

  streamQuery<R>(compiled: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    needsEnforcement(compiled, this.setup.guardedTables)
    return this.inner.streamQuery<R>(compiled, chunkSize)
  }

  /** Lets go of what the finished transaction held, then starts from a clean state. */
  async endTransaction(): Promise<void> {
    try {
      await this.setup.endTransaction?.(this.transaction)
    } finally {
      this.resetTransaction()
    }
  }

  resetTransaction(): void {
    this.transaction.active = false
    this.transaction.isolation = undefined
    this.transaction.deferred = []
    this.transaction.ownRows = new Map()
  }
}

function rawSql(text: string) {
  return sql.raw(text)
}

/** Wraps a Driver so that every connection it hands out enforces the relations. */
export class EnforcingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly setup: EnforcementSetup,
  ) {}

  init(): Promise<void> {
    return this.inner.init()
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new EnforcingConnection(await this.inner.acquireConnection(), this.setup)
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const enforcing = connection as EnforcingConnection
    await this.inner.beginTransaction(enforcing.inner, settings)
    enforcing.resetTransaction()
    enforcing.transaction.active = true
  }

  /** Runs the checks deferred to commit first; if one fails, the transaction is rolled back and the error thrown. */
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const enforcing = connection as EnforcingConnection
    try {
      const runner = enforcing.runner()
      await runDeferredChecks(this.setup.context(runner), enforcing.transaction.deferred)
    } catch (error) {
      await this.inner.rollbackTransaction(enforcing.inner).finally(() => enforcing.endTransaction())
      throw error
    }
    await this.inner.commitTransaction(enforcing.inner).finally(() => enforcing.endTransaction())
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const enforcing = connection as EnforcingConnection
    await this.inner.rollbackTransaction(enforcing.inner).finally(() => enforcing.endTransaction())
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.savepoint?.((connection as EnforcingConnection).inner, name, compile)
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.rollbackToSavepoint?.((connection as EnforcingConnection).inner, name, compile)
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.releaseSavepoint?.((connection as EnforcingConnection).inner, name, compile)
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((connection as EnforcingConnection).inner)
  }

  destroy(): Promise<void> {
    return this.inner.destroy()
  }
}
