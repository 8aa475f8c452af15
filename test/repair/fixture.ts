import { type Kysely, sql } from 'kysely'
import type { TestDialect } from '../support/databases.js'

/**
 * Three levels of orphans (customers -> orders -> order_items), a NOT NULL sentinel column, a SET NULL child,
 * a child to ignore, and `events`: a child by two relations (deleted by one, nulled by the other) whose other
 * columns hold the types a restore most easily gets wrong. Portable between PostgreSQL, PGlite and MariaDB.
 * Indexed reference columns (and order_items' primary key) are repaired by key; audit_log and events, without
 * such an index, by walking their primary keys.
 */
export const REPAIR_FIXTURE = `
create table regions (id int primary key, name varchar(20));
create table customers (id int primary key, region_id int not null default 0, name varchar(20));
create table orders (id int primary key, customer_id int, note varchar(20));
create table order_items (order_id int not null, line int not null, qty int, primary key (order_id, line));
create table notes (id int primary key, order_id int, body varchar(50));
create table audit_log (id int primary key, customer_id int);
create index customers_region_id on customers (region_id);
create index orders_customer_id on orders (customer_id);
create index notes_order_id on notes (order_id);
insert into regions values (1, 'north'), (2, 'south');
insert into customers values (1, 1, 'a'), (2, 0, 'b'), (3, 0, 'c'), (4, 2, 'd'), (5, 99, 'e'), (6, 1, 'f'), (7, 0, 'g');
insert into orders values (1, 1, 'x'), (2, 5, 'via 5'), (3, 8, 'own'), (4, null, null), (5, 9, 'own'), (6, 2, 'y'), (7, 5, 'via 5');
insert into order_items values (1, 1, 10), (2, 1, 20), (3, 1, 30), (3, 2, null), (5, 1, 50), (6, 1, 60), (7, 1, 70), (10, 1, 100);
insert into notes values (1, 1, 'kept'), (2, 3, 'order 3 goes'), (3, 11, 'own orphan'), (4, null, 'no order'), (5, 7, 'order 7 goes');
insert into audit_log values (1, 1), (2, 42), (3, 5)
`

/** The fixture's relations, in config order. */
export const REPAIR_RELATIONS = [
  'customers(region_id) -> regions(id)',
  'orders(customer_id) -> customers(id) on delete cascade',
  'order_items(order_id) -> orders(id) on delete cascade',
  'notes(order_id) -> orders(id) on delete set null',
  'audit_log(customer_id) -> customers(id)',
  'events(customer_id) -> customers(id) on delete cascade',
  'events(order_id) -> orders(id) on delete set null',
]

/**
 * Three cascading levels where the last child's orphans appear only in a second round: deleting chain_b's
 * orphan orphans chain_c's row 2 (the plan counts it), whose delete orphans chain_d's row 2 (found by round 2).
 */
export const CHAIN_FIXTURE = `
create table chain_a (id int primary key);
create table chain_b (id int primary key, a_id int);
create table chain_c (id int primary key, b_id int);
create index chain_c_b_id on chain_c (b_id);
create table chain_d (id int primary key, c_id int not null);
insert into chain_a values (1);
insert into chain_b values (1, 1), (2, 9);
insert into chain_c values (1, 1), (2, 2);
insert into chain_d values (1, 1), (2, 2)
`

/** The chain's relations. */
export const CHAIN_RELATIONS = [
  'chain_b(a_id) -> chain_a(id) on delete cascade',
  'chain_c(b_id) -> chain_b(id) on delete cascade',
  'chain_d(c_id) -> chain_c(id) on delete cascade',
]

/** Every table of the fixture: what "the database's contents" means for a restore. */
export const REPAIR_TABLES = ['regions', 'customers', 'orders', 'order_items', 'notes', 'audit_log', 'events']

/** The tricky columns of `events`, per engine family. */
const EVENT_COLUMNS = {
  postgres: `ts timestamptz, tsn timestamp, num numeric(30,10), bin bytea, doc json, docb jsonb, f float8, arr int[], txt text,
    uid uuid, iv interval`,
  mysql: `ts timestamp(6) null default null, dt datetime(6), num decimal(30,10), bin blob, vbin varbinary(16), doc json, ltxt longtext,
    f double, txt text character set utf8mb4,
    flags bit(10), updated_at timestamp(6) not null default current_timestamp(6) on update current_timestamp(6)`,
}

const TEXT = 'line 1\nline 2 "double" \'single\' \\ back\\slash\ttab 😀'

/** Values of the tricky columns: one row of odd-but-ordinary values, one of extremes (NULLs go in whole rows). */
const EVENT_VALUES = {
  postgres: [
    sql`${'2024-03-10 01:02:03.123456+05:30'}::text::timestamptz, ${'2024-03-10 01:02:03.654321'}::text::timestamp,
      ${'12345678901234567890.0123456789'}::text::numeric, decode(${'00ff0010'}, 'hex'), ${'{ "b" : 1,\n  "a":[1, 2 ] , "n": 1.000 }'}::text::json,
      ${'{"b": 1, "a": {"c": null}, "n": 1.000}'}::text::jsonb, 0.1::float8, ${'{1,NULL,3}'}::text::int[], ${TEXT},
      ${'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'}::text::uuid, ${'1 year 2 mons 3 days 04:05:06.789'}::text::interval`,
    sql`${'1901-12-13 20:45:52.000001-11:30'}::text::timestamptz, ${'2262-04-11 23:47:16.999999'}::text::timestamp,
      ${'-99999999999999999999.9999999999'}::text::numeric, decode(${''}, 'hex'), ${' [ ] '}::text::json, ${'[]'}::text::jsonb,
      ${'-1.7976931348623157e308'}::text::float8, ${'{}'}::text::int[], ${''}, ${'00000000-0000-0000-0000-000000000000'}::text::uuid,
      ${'-1 days +00:00:00.000001'}::text::interval`,
  ],
  mysql: [
    sql`${'2024-03-10 01:02:03.123456'}, ${'1999-12-31 23:59:59.999999'}, ${'12345678901234567890.0123456789'},
      ${Buffer.from([0, 255, 0, 16])}, ${Buffer.from([0, 0, 1])}, ${'{ "b" : 1,\n  "a":[1, 2 ] , "n": 1.000 }'},
      ${'  {"x":   1}\n'}, 0.1, ${TEXT}, b'1000000001', ${'2001-02-03 04:05:06.000007'}`,
    sql`${'1970-01-01 00:00:01.000001'}, ${'1000-01-01 00:00:00.000000'}, ${'-99999999999999999999.9999999999'},
      ${Buffer.alloc(0)}, ${Buffer.from([0])}, ${' [ ] '}, ${''}, ${-1.7976931348623157e308}, ${''}, b'0',
      ${'2038-01-19 03:14:07.999999'}`,
  ],
}

/** `events` rows: [id, customer_id, order_id, values]: 2 and 4 are deleted, 3, 5 and 7 nulled, 1 and 6 kept. */
const EVENT_ROWS: Array<[number, number | null, number | null, 0 | 1 | null]> = [
  [1, 1, 1, 0],
  [2, 8, 1, 0],
  [3, 1, 3, 1],
  [4, 5, 6, null],
  [5, 2, 12, null],
  [6, null, null, 0],
  [7, 1, 7, 1],
]

/** Creates the fixture, with `events` in the engine's own types. */
export async function createRepairFixture(db: Kysely<any>, dialect: TestDialect, exec: (script: string) => Promise<void>): Promise<void> {
  const family = dialect === 'mariadb' ? 'mysql' : 'postgres'
  await exec(REPAIR_FIXTURE)
  await sql.raw(`create table events (id int primary key, customer_id int, order_id int, ${EVENT_COLUMNS[family]})`).execute(db)
  for (const [id, customer, order, values] of EVENT_ROWS) {
    const rest = values === null ? undefined : EVENT_VALUES[family][values]
    if (rest) await sql`insert into events values (${id}, ${customer}, ${order}, ${rest})`.execute(db)
    else await sql`insert into events (id, customer_id, order_id) values (${id}, ${customer}, ${order})`.execute(db)
  }
  // Not the time of this insert: two databases made from the fixture must hold equal rows.
  if (family === 'mysql') await sql`update events set updated_at = ${'2001-02-03 04:05:06.000007'} where ts is null`.execute(db)
}

/**
 * Every row of `table` as exact text made by the database, sorted: PostgreSQL's record output (`t::text`, in UTC), and on
 * MariaDB the hex of each column's bytes (`NULL` for NULL), so no driver conversion can hide a difference.
 */
export async function tableContents(db: Kysely<any>, dialect: TestDialect, table: string): Promise<string[]> {
  if (dialect !== 'mariadb') {
    // In UTC, whatever the session's zone: the text of a timestamptz depends on it.
    const { rows } = await db.transaction().execute(async (trx) => {
      await sql`set local timezone to 'UTC'`.execute(trx)
      return sql<{ r: string }>`select t::text as r from ${sql.id(table)} as t`.execute(trx)
    })
    return rows.map((row) => row.r).sort()
  }
  const columns = await sql<{ name: string }>`select column_name as name from information_schema.columns
    where table_schema = database() and table_name = ${table} order by ordinal_position`.execute(db)
  const values = columns.rows.map((column) => sql`coalesce(hex(cast(${sql.id(column.name)} as binary)), 'NULL')`)
  const { rows } = await sql<{ r: string }>`select concat_ws('|', ${sql.join(values)}) as r from ${sql.id(table)}`.execute(db)
  return rows.map((row) => String(row.r)).sort()
}

/** The contents of every fixture table. */
export async function databaseContents(db: Kysely<any>, dialect: TestDialect): Promise<Record<string, string[]>> {
  const entries = await Promise.all(REPAIR_TABLES.map(async (table) => [table, await tableContents(db, dialect, table)] as const))
  return Object.fromEntries(entries)
}
