import { type Kysely, sql } from 'kysely'
import { JOBS_TABLE } from './tables.js'
import { nowPlus } from './time.js'

const PURGE_BATCH = 1000

/**
 * Deletes done jobs finished more than `keepMs` ago, a thousand rows per statement so no statement runs long;
 * returns how many went. Dead jobs stay until someone looks at them. Safe in several workers at once.
 */
export async function purgeDoneJobs(db: Kysely<any>, family: 'postgres' | 'mysql', keepMs: number): Promise<number> {
  const old = sql`state = 'done' and done_at < ${nowPlus(family, -keepMs)}`
  let purged = 0
  for (;;) {
    const statement =
      family === 'postgres'
        ? sql`delete from ${sql.id(JOBS_TABLE)} where id = any(array(select id from ${sql.id(JOBS_TABLE)} where ${old} limit ${sql.lit(PURGE_BATCH)}))`
        : sql`delete from ${sql.id(JOBS_TABLE)} where ${old} limit ${sql.lit(PURGE_BATCH)}`
    const count = Number((await statement.execute(db)).numAffectedRows ?? 0)
    purged += count
    if (count < PURGE_BATCH) return purged
  }
}
