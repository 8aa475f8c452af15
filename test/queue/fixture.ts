import { type Kysely, sql } from 'kysely'
import { ensureJobTables } from '../../src/queue/tables.js'
import { createTestDatabase, type TestDatabase, type TestDialect } from '../support/databases.js'

/**
 * A shop whose cascades run queued: customers <- orders <- order_lines <- line_notes, three levels of
 * descendants. orders -> customers and order_lines -> orders are queued CASCADE (a worker deletes the orders
 * of a deleted customer, which enqueues a job for their lines in the same transaction); line_notes ->
 * order_lines is inline, so it runs inside the worker's batch. orders also reference coupons (queued SET NULL)
 * and regions (queued SET DEFAULT: region 0, "none", is the column default). Portable between PostgreSQL,
 * PGlite and MariaDB.
 */
export const QUEUE_SCHEMA = `
create table regions (id int primary key, name varchar(20) not null);
create table coupons (id int primary key, code varchar(20) not null);
create table customers (id int primary key, name varchar(40) not null);
create table orders (id int primary key, customer_id int not null, coupon_id int null, region_id int not null default 0, note varchar(40) null);
create table order_lines (id int primary key, order_id int not null, qty int not null);
create table line_notes (id int primary key, line_id int not null, body varchar(40) not null);
create index orders_customer on orders (customer_id);
create index orders_coupon on orders (coupon_id);
create index orders_region on orders (region_id);
create index order_lines_order on order_lines (order_id);
create index line_notes_line on line_notes (line_id);
insert into regions values (0, 'none'), (1, 'north'), (2, 'south'), (3, 'east');
insert into coupons values (1, 'C1'), (2, 'C2'), (3, 'C3'), (4, 'C4'), (5, 'C5')
`

export const RELATION_NAMES = {
  orders: 'orders_customer_id_fkey',
  lines: 'order_lines_order_id_fkey',
  notes: 'line_notes_line_id_fkey',
  coupons: 'orders_coupon_id_fkey',
  regions: 'orders_region_id_fkey',
} as const

/** The shop's relations, every cascade queued except line_notes (inline, run inside the worker's batch). */
export const QUEUE_RELATIONS = [
  'orders(customer_id) -> customers(id) on delete cascade on update cascade mode queued',
  'order_lines(order_id) -> orders(id) on delete cascade on update cascade mode queued',
  'line_notes(line_id) -> order_lines(id) on delete cascade',
  'orders(coupon_id) -> coupons(id) on delete set null mode queued',
  'orders(region_id) -> regions(id) on delete set default mode queued',
]

/** Sizes of a generated shop: `customers`, each with `orders` orders, each with `lines` lines, one note per line. */
export interface ShopSize {
  customers: number
  orders: number
  lines: number
}

/** Rows per table of a shop of this size. */
export function shopRows(size: ShopSize): Record<'customers' | 'orders' | 'order_lines' | 'line_notes', number> {
  const orders = size.customers * size.orders
  return { customers: size.customers, orders, order_lines: orders * size.lines, line_notes: orders * size.lines }
}

/**
 * Fills the shop on the server (generate_series / MariaDB's sequence tables): customer c owns orders
 * (c-1)*orders+1 .. c*orders, order o owns lines (o-1)*lines+1 .. o*lines, line l has note l. Every third
 * order has no coupon, the others coupon 1-5; regions 1-3.
 */
export async function fillShop(db: Kysely<any>, dialect: TestDialect, size: ShopSize): Promise<void> {
  const rows = shopRows(size)
  const series = (count: number) =>
    dialect === 'mariadb' ? sql.raw(`seq_1_to_${count} as s`) : sql.raw(`generate_series(1, ${count}) as s(seq)`)
  const div = (count: number) => (dialect === 'mariadb' ? sql.raw(`(seq - 1) div ${count} + 1`) : sql.raw(`(seq - 1) / ${count} + 1`))
  await sql`insert into customers (id, name) select seq, concat('customer ', seq) from ${series(rows.customers)}`.execute(db)
  await sql`insert into orders select seq, ${div(size.orders)}, case when mod(seq, 3) = 0 then null else mod(seq, 5) + 1 end,
    mod(seq, 3) + 1, concat('order ', seq) from ${series(rows.orders)}`.execute(db)
  await sql`insert into order_lines select seq, ${div(size.lines)}, mod(seq, 7) from ${series(rows.order_lines)}`.execute(db)
  await sql`insert into line_notes select seq, seq, concat('note ', seq) from ${series(rows.line_notes)}`.execute(db)
}

/** A fresh database with the shop's tables (empty), the coupons and regions, and refguard_jobs. */
export async function createShopDatabase(dialect: TestDialect, prefix: string): Promise<TestDatabase> {
  const test = await createTestDatabase(dialect, prefix)
  await test.exec(QUEUE_SCHEMA)
  await ensureJobTables(test.db, dialect === 'mariadb' ? 'mysql' : 'postgres')
  return test
}

/** Drops every row of the shop (coupons and regions back as they were) and every job. */
export async function emptyShop(test: TestDatabase): Promise<void> {
  for (const table of ['line_notes', 'order_lines', 'orders', 'customers', 'refguard_jobs', 'coupons', 'regions']) {
    await sql`delete from ${sql.id(table)}`.execute(test.db)
  }
  await test.exec(
    QUEUE_SCHEMA.split('\n')
      .filter((line) => line.startsWith('insert'))
      .join('\n'),
  )
}

/** Rows of each relation whose parent is missing: all zero once every job is done. */
export async function orphans(db: Kysely<any>): Promise<Record<string, number>> {
  const count = async (child: string, column: string, parent: string) => {
    const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.id(child)} as c where ${sql.id('c', column)} is not null
      and not exists (select 1 from ${sql.id(parent)} as p where p.id = ${sql.id('c', column)})`.execute(db)
    return Number(rows[0]?.n)
  }
  return {
    orders: await count('orders', 'customer_id', 'customers'),
    order_lines: await count('order_lines', 'order_id', 'orders'),
    line_notes: await count('line_notes', 'line_id', 'order_lines'),
    coupons: await count('orders', 'coupon_id', 'coupons'),
    regions: await count('orders', 'region_id', 'regions'),
  }
}

/** No orphan in any relation. */
export const NO_ORPHANS = { orders: 0, order_lines: 0, line_notes: 0, coupons: 0, regions: 0 }

/** The number of rows of `table` (matching `where`). */
export async function countRows(db: Kysely<any>, table: string, where = sql`1 = 1`): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.id(table)} where ${where}`.execute(db)
  return Number(rows[0]?.n)
}

/** A job row as tests look at it. */
export interface JobRow {
  id: string
  relation: string
  action: string
  state: string
  attempts: number
  parentKeys: { before: unknown[][]; after?: unknown[][] }
  lastError: string | null
  parentJobId: string | null
  rowsDone: number
}

/** Every job, oldest first. */
export async function jobs(db: Kysely<any>): Promise<JobRow[]> {
  const { rows } = await sql<Record<string, unknown>>`select * from refguard_jobs order by id`.execute(db)
  return rows.map((row) => ({
    id: String(row.id),
    relation: String(row.relation),
    action: String(row.action),
    state: String(row.state),
    attempts: Number(row.attempts),
    parentKeys: JSON.parse(String(row.parent_keys)),
    lastError: row.last_error === null ? null : String(row.last_error),
    parentJobId: row.parent_job_id === null ? null : String(row.parent_job_id),
    rowsDone: Number(row.rows_done),
  }))
}

/** Jobs per state. */
export async function jobStates(db: Kysely<any>): Promise<Record<string, number>> {
  const { rows } = await sql<{ state: string; n: unknown }>`select state, count(*) as n from refguard_jobs group by state`.execute(db)
  return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]))
}
