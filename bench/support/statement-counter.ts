import type { Database } from '../../src/index.js'

/** A database whose every executed statement (queries, introspection, refguard's own) is counted. */
export interface CountedDatabase {
  database: Database
  /** Statements executed since creation or the last `reset()`. */
  count(): number
  reset(): void
}

/**
 * Wraps `database` so that every statement executed through it increments a counter. It counts in
 * `transformResult`, when a statement's result arrives: Kysely calls `transformQuery` only for queries
 * it compiles itself, and refguard hands the connection statements it compiled itself (begin and
 * commit included), which `transformResult` sees too. A statement that fails is not counted.
 */
export function countStatements(database: Database): CountedDatabase {
  let statements = 0
  const db = database.db.withPlugin({
    transformQuery: (args) => args.node,
    async transformResult(args) {
      statements++
      return args.result
    },
  })
  return {
    database: { ...database, db, introspect: (schemas) => database.dialect.introspect(db, schemas) },
    count: () => statements,
    reset: () => {
      statements = 0
    },
  }
}
