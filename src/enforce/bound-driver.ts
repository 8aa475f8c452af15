import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  IdentifierNode,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  RawNode,
  type TransactionSettings,
} from 'kysely'

/** Starts a transaction with the engine's own syntax for isolation level and access mode. */
function beginStatements(family: 'postgres' | 'mysql', settings: TransactionSettings): string[] {
  const parts = [
    ...(settings.isolationLevel ? [`isolation level ${settings.isolationLevel}`] : []),
    ...(settings.accessMode ? [settings.accessMode] : []),
  ]
  if (family === 'postgres') return [parts.length > 0 ? `begin ${parts.join(', ')}` : 'begin']
  return [...(parts.length > 0 ? [`set transaction ${parts.join(', ')}`] : []), 'start transaction']
}

/** `savepoint "name"` and friends, with the name quoted by the dialect's compiler. */
function savepointCommand(command: string, name: string, compile: QueryCompiler['compileQuery']): CompiledQuery {
  const node = RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)])
  return compile(node, { queryId: `savepoint-${name}` })
}

/** One connection of the user's Kysely, held until the driver releases it. */
export class BoundConnection implements DatabaseConnection {
  constructor(
    private readonly bound: Kysely<any>,
    readonly release: () => void,
  ) {}

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return this.bound.executeQuery<R>(compiledQuery)
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    yield* this.bound.getExecutor().stream<R>(compiledQuery, chunkSize)
  }
}

/**
 * A Driver over an existing Kysely instance: each acquired connection is one of its connections,
 * reserved with `kysely.connection()`. This lets refguard wrap a Kysely it did not create.
 */
export class BoundDriver implements Driver {
  constructor(
    private readonly kysely: Kysely<any>,
    private readonly family: 'postgres' | 'mysql',
  ) {}

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    return new Promise((resolve, reject) => {
      let release: () => void = () => {}
      const released = new Promise<void>((done) => {
        release = done
      })
      this.kysely
        .connection()
        .execute(async (bound) => {
          resolve(new BoundConnection(bound, release))
          await released
        })
        .catch(reject)
    })
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    for (const statement of beginStatements(this.family, settings)) await connection.executeQuery(CompiledQuery.raw(statement))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(savepointCommand('savepoint', name, compile))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(savepointCommand('rollback to savepoint', name, compile))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(savepointCommand('release savepoint', name, compile))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    ;(connection as BoundConnection).release()
  }

  /** The user's Kysely is theirs to destroy. */
  async destroy(): Promise<void> {}
}
