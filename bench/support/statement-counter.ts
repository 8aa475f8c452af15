import type { Database } from '../../src/index.js'

/** A database whose every statement (queries and introspection alike) is counted. */
export interface CountedDatabase {
  database: Database
  /** Statements issued since creation or the last `reset()`. */
  count(): number
  reset(): void
}

/** Wraps `database` so that every statement sent through it, including introspection, increments a counter. */
export function countStatements(database: Database): CountedDatabase {
  let statements = 0
  const db = database.db.withPlugin({
    transformQuery(args) {
      statements++
      return args.node
    },
    async transformResult(args) {
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
