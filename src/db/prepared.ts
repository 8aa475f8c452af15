import { createHash } from 'node:crypto'
import { type RawBuilder, sql } from 'kysely'
import type pg from 'pg'

/** The comment that opens a statement refguard asks to run as a named prepared statement. */
const PREPARED = '/* refguard:prepared */ '

/**
 * Marks a statement that runs many times with only its parameters changing (a worker's batch): on connections
 * refguard opens to a PostgreSQL server it becomes a named prepared statement, parsed once per connection and,
 * after a few runs, executed with a cached generic plan instead of being parsed and planned every time.
 * Elsewhere (PGlite, a Kysely instance the application passed in) the mark is only a comment.
 */
export function prepared<T>(query: RawBuilder<T>): RawBuilder<T> {
  return sql<T>`${sql.raw(PREPARED)}${query}`
}

/** The statement name for a text: the same text always gets the same name, and names fit PostgreSQL's 63 bytes. */
function statementName(text: string): string {
  return `refguard_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`
}

/** Makes a node-postgres client run statements marked by `prepared` as named prepared statements. */
export function prepareMarkedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  client.query = ((text: unknown, ...rest: unknown[]) => {
    if (typeof text === 'string' && text.startsWith(PREPARED) && Array.isArray(rest[0]) && typeof rest[1] !== 'function') {
      return query({ name: statementName(text), text, values: rest[0] })
    }
    return query(text, ...rest)
  }) as typeof client.query
}
