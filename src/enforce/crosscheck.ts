import { type Kysely, sql } from 'kysely'
import { ConfigError } from '../config/errors.js'
import { tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'
import { childFilter, columnRefs } from './checks.js'
import { chunks, type KeyTuple } from './keys.js'
import { serializationError } from './messages.js'
import type { Runner } from './runner.js'
import { keyInList } from './sql-parts.js'

const SIDE_CONNECTION_TIMEOUT_MS = 3_000

/** Runs a query on the side connection, failing clearly instead of waiting forever for a free connection. */
async function onSideConnection<T>(query: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ConfigError(
            `refguard's REPEATABLE READ crosscheck waited ${SIDE_CONNECTION_TIMEOUT_MS / 1000} s for a second connection and got none`,
            {
              fix: 'give the pool at least one connection more than your concurrent transactions, or pass createGuard({ db, relations, crosscheckDb })',
            },
          ),
        ),
      SIDE_CONNECTION_TIMEOUT_MS,
    )
  })
  try {
    return await Promise.race([query, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * PostgreSQL REPEATABLE READ and SERIALIZABLE: a parent deleter's snapshot cannot see a child that a
 * concurrent transaction committed after the snapshot was taken, so its own checks pass and an orphan
 * would commit. PostgreSQL's own foreign keys re-check with a fresh snapshot; refguard does the same:
 * 1. a second connection (a fresh snapshot) lists the committed children of the removed keys;
 * 2. this transaction asks which of those row versions (by ctid) its own snapshot sees;
 * 3. a child it does not see, and did not delete or update itself (`ownRows`), makes the statement
 *    fail with 40001 — also when another open transaction is deleting it, since that one may still
 *    roll back. The caller retries, as after any serialization failure.
 * Visibility is asked of the database, not computed from transaction ids, which would miss rows
 * written inside subtransactions.
 */
export async function crosscheckRemovedKeys(runner: Runner, side: Kysely<any>, relation: Relation, keys: KeyTuple[]): Promise<void> {
  const child = columnRefs('c', relation.child.columns)
  const own = runner.transaction.ownRows.get(`${relation.child.schema}.${relation.child.table}`) ?? new Set<string>()
  for (const chunk of chunks(keys, 1000)) {
    const committed = await onSideConnection(
      sql<Record<string, unknown> & { row_id: string }>`select ${sql.id('c', 'ctid')}::text as row_id, ${sql.join(child)}
        from ${tableSql(relation.child)} as ${sql.id('c')}
        where ${childFilter(relation, 'c')} and ${keyInList(child, chunk)}`.execute(side),
    )
    const candidates = committed.rows.filter((row) => !own.has(row.row_id))
    if (candidates.length === 0) continue
    const seen = await runner.run<{ row_id: string }>(
      sql`select ctid::text as row_id from ${tableSql(relation.child)} where ctid = any(${candidates.map((row) => row.row_id)}::tid[])`,
    )
    const visible = new Set(seen.rows.map((row) => row.row_id))
    const unseen = candidates.find((row) => !visible.has(row.row_id))
    if (unseen)
      throw serializationError(
        relation,
        relation.child.columns.map((column) => unseen[column]),
        'delete',
      )
  }
}
