import { type Kysely, sql } from 'kysely'
import type { CheckReport } from '../audit/check.js'
import type { DemoExample } from './example.js'
import { countOf, keyed, resultOf, sampledKeys } from './wording.js'

const CUSTOMERS = ['Helen', 'Dave', 'Mary', 'Fred', 'Xavier']

/** The shop's items and prices. */
export const SHOP_ITEMS: Array<[name: string, price: string]> = [
  ['after shave', '12.50'],
  ['deodorant', '4.99'],
  ['razor blades', '9.95'],
  ['shampoo', '6.40'],
  ['soap', '1.80'],
  ['toothbrush', '3.25'],
  ['toothpaste', '2.90'],
]

interface Order {
  customer: string
  createdAt: string
  lines: Array<[item: string, quantity: number]>
}

const ORDERS: Order[] = [
  {
    customer: 'Helen',
    createdAt: '2024-05-02T10:15:00Z',
    lines: [
      ['soap', 2],
      ['toothpaste', 1],
      ['shampoo', 1],
    ],
  },
  {
    customer: 'Dave',
    createdAt: '2024-05-02T11:40:00Z',
    lines: [
      ['razor blades', 3],
      ['after shave', 1],
    ],
  },
  {
    customer: 'Helen',
    createdAt: '2024-05-03T09:05:00Z',
    lines: [
      ['toothbrush', 2],
      ['deodorant', 1],
    ],
  },
  {
    customer: 'Mary',
    createdAt: '2024-05-04T16:30:00Z',
    lines: [
      ['shampoo', 1],
      ['soap', 4],
    ],
  },
  {
    customer: 'Fred',
    createdAt: '2024-05-05T08:20:00Z',
    lines: [
      ['toothpaste', 2],
      ['toothbrush', 1],
    ],
  },
  {
    customer: 'Xavier',
    createdAt: '2024-05-06T14:45:00Z',
    lines: [
      ['deodorant', 2],
      ['razor blades', 1],
    ],
  },
]

/** Fred closed his account; the app deleted the customer but not his order. */
const CUSTOMER_DELETED_WITHOUT_CASCADE = 'Fred'
/** Xavier's order was cancelled by a support script that forgot its lines. */
const ORDER_DELETED_WITHOUT_CASCADE = ORDERS.findIndex((order) => order.customer === 'Xavier')

async function createTables(db: Kysely<any>): Promise<void> {
  await sql`create schema shop`.execute(db)
  await sql`create table shop.customers (customer_pk serial primary key, name text not null unique)`.execute(db)
  await sql`create table shop.items (item_pk serial primary key, name text not null unique, price numeric(8, 2) not null)`.execute(db)
  await sql`create table shop.orders (
    order_pk serial primary key, customer_pk int not null, created_at timestamptz not null)`.execute(db)
  await sql`create index orders_customer_pk_idx on shop.orders (customer_pk)`.execute(db)
  await sql`create table shop.order_lines (
    order_pk int not null, item_pk int not null, quantity int not null, primary key (order_pk, item_pk))`.execute(db)
  await sql`create index order_lines_item_pk_idx on shop.order_lines (item_pk)`.execute(db)
}

async function seed(db: Kysely<any>): Promise<void> {
  await createTables(db)
  const shop = db.withSchema('shop')
  const customers = await shop
    .insertInto('customers')
    .values(CUSTOMERS.map((name) => ({ name })))
    .returning(['customer_pk', 'name'])
    .execute()
  const customerPkOf = new Map(customers.map((row) => [row.name as string, row.customer_pk as number]))
  const items = await shop
    .insertInto('items')
    .values(SHOP_ITEMS.map(([name, price]) => ({ name, price })))
    .returning(['item_pk', 'name'])
    .execute()
  const itemPkOf = new Map(items.map((row) => [row.name as string, row.item_pk as number]))
  const orders = await shop
    .insertInto('orders')
    .values(ORDERS.map((order) => ({ customer_pk: customerPkOf.get(order.customer), created_at: order.createdAt })))
    .returning('order_pk')
    .execute()
  const orderPks = orders.map((row) => row.order_pk as number)
  await shop
    .insertInto('order_lines')
    .values(
      ORDERS.flatMap((order, index) =>
        order.lines.map(([item, quantity]) => ({ order_pk: orderPks[index], item_pk: itemPkOf.get(item), quantity })),
      ),
    )
    .execute()
  await shop.deleteFrom('customers').where('name', '=', CUSTOMER_DELETED_WITHOUT_CASCADE).execute()
  await shop.deleteFrom('orders').where('order_pk', '=', orderPks[ORDER_DELETED_WITHOUT_CASCADE]).execute()
}

function explain(report: CheckReport): string[] {
  const orders = resultOf(report, 'orders_customer_pk_fkey')
  const lines = resultOf(report, 'order_lines_order_pk_fkey')
  const items = resultOf(report, 'order_lines_item_pk_fkey')
  const explanation: string[] = []
  if (orders.orphans > 0) {
    const one = orders.orphans === 1
    explanation.push(
      `${countOf(orders.orphans, 'order')} still ${one ? 'belongs' : 'belong'} to ${keyed('customer', sampledKeys(orders))}, deleted ` +
        `without the cascade the retailer asked for; ${one ? 'its lines look fine only because the order itself still exists' : 'their lines look fine only because the orders themselves still exist'}.`,
    )
  }
  if (lines.orphans > 0) {
    const orderKeys = sampledKeys(lines)
    explanation.push(
      `${countOf(lines.orphans, 'order line')} ${lines.orphans === 1 ? 'points' : 'point'} at ${keyed('order', orderKeys)}, which ` +
        `${orderKeys.length === 1 ? 'is' : 'are'} gone: a JOIN from orders hides them, a SUM over order_lines still counts them.`,
    )
  }
  explanation.push(
    items.orphans === 0
      ? 'order_lines(item_pk) is clean: items were only deleted when no order line used them, as ON DELETE RESTRICT demands.'
      : `${countOf(items.orphans, 'order line')} point at deleted items, which ON DELETE RESTRICT should have prevented.`,
  )
  return explanation
}

/** Seed 004: the retailer of Yugabyte's "Relational Data Modeling with Foreign Keys in a Distributed SQL Database". */
export const retailerExample: DemoExample = {
  schema: 'shop',
  title: 'shop: a retailer with customers, items, orders and order lines',
  story:
    'From "Relational Data Modeling with Foreign Keys in a Distributed SQL Database" (Yugabyte): deleting a customer must silently ' +
    'delete its orders and their lines, and deleting an item must fail while an order line uses it. Mostly clean, but a couple of ' +
    'deletes skipped their cascade.',
  relations: [
    'shop.orders(customer_pk) -> shop.customers(customer_pk) on delete cascade',
    'shop.order_lines(order_pk) -> shop.orders(order_pk) on delete cascade',
    'shop.order_lines(item_pk) -> shop.items(item_pk) on delete restrict',
  ],
  seed,
  explain,
}
