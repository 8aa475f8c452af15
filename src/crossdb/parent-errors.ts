import { ConnectionError } from '../db/errors.js'
import type { CrossJoin } from './sides.js'

/** Error codes and messages of a server that is down or went away, from node-postgres, mysql2, PGlite and Kysely. */
const LOST_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  'PROTOCOL_CONNECTION_LOST',
])
const LOST_MESSAGE = /connection terminated|connection (is )?(closed|ended)|closed state|has already been destroyed|pglite is closed/i

function isLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return LOST_CODES.has(String(code)) || LOST_MESSAGE.test(String(message ?? ''))
}

/**
 * Runs a read of the parent database; a server that is down or went away becomes a ConnectionError naming the
 * database, the table and the relation. What the read was for is left undone: a check stops, a child write or
 * a repair batch rolls back.
 */
export async function readingParent<T>(join: CrossJoin, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if (!isLost(error)) throw error
    const { relation, parent } = join
    throw new ConnectionError(
      parent.name,
      parent.location,
      `lost while reading table ${relation.parent.table} for relation "${relation.name}": ${(error as Error).message}`,
      'start the database (or correct its URL) and run the command again; an interrupted repair continues with refguard repair --resume RUN_ID',
    )
  }
}
