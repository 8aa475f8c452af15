import { sql } from 'kysely'
import type { Guard } from '../../src/enforce/guard.js'
import { ensureJobTables } from '../../src/queue/tables.js'
import type { TestDatabase } from '../support/databases.js'
import { createDatabasePair, type DatabasePair, insertRows } from './fixture.js'
import type { TestDialect } from '../support/databases.js'

/**
 * A shop split over two databases: customers in the parent database (`billing`), orders, their lines and payments in
 * the child database (`main`). orders -> customers is a queued CASCADE (on delete and on update), payments ->
 * customers a queued SET NULL, both across databases; order_lines -> orders is an inline CASCADE inside the child
 * database, run by the worker's batch. refguard_jobs exists in the parent database only: that is where the jobs go.
 */
export const QUEUED_RELATIONS = [
  {
    name: 'orders_customer',
    child: { table: 'orders', columns: ['customer_id'] },
    parent: { database: 'billing', table: 'customers', columns: ['id'] },
    onDelete: 'cascade',
    onUpdate: 'cascade',
    mode: 'queued',
  },
  {
    name: 'payments_customer',
    child: { table: 'payments', columns: ['customer_id'] },
    parent: { database: 'billing', table: 'customers', columns: ['id'] },
    onDelete: 'set null',
    onUpdate: 'set null',
    mode: 'queued',
  },
  'order_lines(order_id) -> orders(id) on delete cascade',
]

/** Rows of a split shop: `customers`, each with `orders` orders (one line each) and one payment. */
export interface SplitShopSize {
  customers: number
  orders: number
}

/** Creates the two databases, their tables and rows; order o of customer c has id (c - 1) * orders + o. */
export async function createSplitShop(
  childDialect: TestDialect,
  parentDialect: TestDialect,
  prefix: string,
  size: SplitShopSize,
): Promise<DatabasePair> {
  const pair = await createDatabasePair(childDialect, parentDialect, prefix)
  try {
    await pair.parent.exec('create table customers (id int primary key)')
    await ensureJobTables(pair.parent.db, pair.parent.database.dialect.family)
    await pair.child.exec(`create table orders (id int primary key, customer_id int not null);
      create index orders_customer on orders (customer_id);
      create table order_lines (id int primary key, order_id int not null);
      create index order_lines_order on order_lines (order_id);
      create table payments (id int primary key, customer_id int null);
      create index payments_customer on payments (customer_id)`)
    const customers = Array.from({ length: size.customers }, (_, i) => i + 1)
    await insertRows(
      pair.parent,
      'customers',
      ['id'],
      customers.map((id) => [id]),
    )
    const orders = customers.flatMap((customer) =>
      Array.from({ length: size.orders }, (_, o) => [(customer - 1) * size.orders + o + 1, customer]),
    )
    await insertRows(pair.child, 'orders', ['id', 'customer_id'], orders)
    await insertRows(
      pair.child,
      'order_lines',
      ['id', 'order_id'],
      orders.map(([id]) => [id, id]),
    )
    await insertRows(
      pair.child,
      'payments',
      ['id', 'customer_id'],
      customers.map((id) => [id, id]),
    )
    return pair
  } catch (error) {
    await pair.drop()
    throw error
  }
}

/** The count of rows of `table` matching `where` (all by default). */
export async function count(test: TestDatabase, table: string, where = sql`1 = 1`): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.id(table)} where ${where}`.execute(test.db)
  return Number(rows[0]?.n)
}

/** The jobs in a database's refguard_jobs, oldest first. */
export async function jobRows(test: TestDatabase): Promise<Array<{ relation: string; action: string; state: string; rows: number }>> {
  const { rows } = await sql<{ relation: string; action: string; state: string; rows_done: unknown }>`
    select relation, action, state, rows_done from refguard_jobs order by id`.execute(test.db)
  return rows.map((row) => ({ relation: row.relation, action: row.action, state: row.state, rows: Number(row.rows_done) }))
}

/** Orphans per cross-database relation, as `refguard check` (the cross-database audit) counts them. */
export async function crossOrphans(guard: Guard): Promise<Record<string, number>> {
  const report = await guard.check()
  return Object.fromEntries(
    report.relations
      .filter((relation) => relation.name !== 'order_lines_order_id_fkey')
      .map((relation) => [relation.name, relation.orphans]),
  )
}
