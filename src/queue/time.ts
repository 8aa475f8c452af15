import { type RawBuilder, sql } from 'kysely'

type Family = 'postgres' | 'mysql'

/**
 * The database's clock, never a worker's: leases and retry times compare against it, so workers on
 * machines with skewed clocks agree. MySQL-family columns hold UTC (`datetime` has no zone), whatever
 * the session's time zone.
 */
export function now(family: Family): RawBuilder<unknown> {
  return family === 'postgres' ? sql`now()` : sql`utc_timestamp(6)`
}

/** The database's clock moved by `ms` milliseconds (negative: into the past). */
export function nowPlus(family: Family, ms: number): RawBuilder<unknown> {
  const micros = Math.round(ms * 1000)
  return family === 'postgres'
    ? sql`now() + cast(${micros} as bigint) * interval '1 microsecond'`
    : sql`utc_timestamp(6) + interval ${micros} microsecond`
}

/** Seconds from a timestamp expression to the database's clock. */
export function secondsSince(family: Family, time: RawBuilder<unknown>): RawBuilder<unknown> {
  return family === 'postgres'
    ? sql`extract(epoch from (now() - ${time}))`
    : sql`timestampdiff(microsecond, ${time}, utc_timestamp(6)) / 1000000`
}
