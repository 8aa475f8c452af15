import type { CompiledQuery, DatabaseConnection, OperationNode, QueryCompiler, QueryResult, RootOperationNode } from 'kysely'
import type { DialectName } from '../db/url.js'
import type { Relation } from '../model/relation.js'
import type { KeyTuple } from './keys.js'
import type { Sql } from './sql-parts.js'

/** A check postponed to commit because its relation is `deferrable initially deferred`. */
export interface DeferredCheck {
  kind: 'parent-exists' | 'no-action'
  relation: Relation
  keys: KeyTuple[]
}

/** What refguard tracks about the transaction open on one connection. */
export interface TransactionState {
  active: boolean
  /** The isolation level, read once per transaction when a check needs it. */
  isolation?: string
  deferred: DeferredCheck[]
  /** PostgreSQL snapshot isolation: ctids of rows this transaction deleted or updated, per `schema.table` (see crosscheck.ts). */
  ownRows: Map<string, Set<string>>
}

let queryCounter = 0

/** Runs refguard's own statements on the caller's connection, inside the caller's transaction. */
export class Runner {
  constructor(
    readonly connection: DatabaseConnection,
    private readonly compile: QueryCompiler['compileQuery'],
    readonly engine: DialectName,
    readonly transaction: TransactionState,
  ) {}

  /** `postgres` for PostgreSQL and PGlite, `mysql` for MySQL and MariaDB. */
  get family(): 'postgres' | 'mysql' {
    return this.engine === 'mysql' ? 'mysql' : 'postgres'
  }

  /** Compiles and runs a SQL fragment. */
  run<R = Record<string, unknown>>(query: Sql): Promise<QueryResult<R>> {
    return this.runNode<R>(query.toOperationNode())
  }

  /** Compiles and runs an operation node (a user's statement, possibly rewritten). */
  runNode<R = Record<string, unknown>>(node: OperationNode): Promise<QueryResult<R>> {
    return this.connection.executeQuery<R>(this.compiled(node))
  }

  /** The compiled form of a node, with a fresh query id. */
  compiled(node: OperationNode): CompiledQuery {
    queryCounter++
    return this.compile(node as RootOperationNode, { queryId: `refguard-${queryCounter}` })
  }
}
