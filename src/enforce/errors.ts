/** The kind of write that broke (or would break) a relation. */
export type ViolatingAction = 'insert' | 'update' | 'delete' | 'commit'

/**
 * A write that a foreign key would have refused, or a check that could not be made safely under
 * the transaction's isolation level (`sqlState` '40001': retry the transaction).
 */
export class ReferentialIntegrityError extends Error {
  constructor(
    message: string,
    readonly details: {
      relation: string
      table: string
      key: Record<string, unknown>
      action: ViolatingAction
      sqlState: '23503' | '40001'
    },
  ) {
    super(message)
    this.name = 'ReferentialIntegrityError'
  }

  /** The relation (constraint) name. */
  get relation(): string {
    return this.details.relation
  }

  /** The table whose write failed. */
  get table(): string {
    return this.details.table
  }

  /** The key value that is missing or still referenced, column -> value. */
  get key(): Record<string, unknown> {
    return this.details.key
  }

  /** The write that failed. */
  get action(): ViolatingAction {
    return this.details.action
  }

  /** '23503' (foreign_key_violation) or '40001' (serialization_failure: retry). */
  get sqlState(): '23503' | '40001' {
    return this.details.sqlState
  }

  /** Same as `sqlState`, under the name node-postgres uses, so error handling written for real FKs keeps working. */
  get code(): string {
    return this.details.sqlState
  }
}

/** A statement refguard cannot enforce (a raw SQL write to a guarded table, REPLACE, ...): it names the way out. */
export class UnguardedWriteError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnguardedWriteError'
  }
}
