import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addOrderLine,
  createCustomer,
  createItem,
  createOrder,
  deleteCustomer,
  deleteItem,
  orderTotal,
} from '../examples/retailer/business.js'
import { RETAILER_RELATIONS } from '../examples/retailer/relations.js'
import { createRetailerTables, type RetailerDatabase } from '../examples/retailer/schema.js'
import { createGuard, type Guard } from '../src/index.js'
import { SHOP_ITEMS } from '../src/demo/retailer.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'
import { integrityFailure } from './support/errors.js'

type Shop = Kysely<RetailerDatabase>

const CUSTOMERS = ['Helen', 'Dave', 'Mary']

/** The demo's shop items, plus one no order uses. */
const ITEMS: Array<[name: string, price: string]> = [...SHOP_ITEMS, ['hair gel', '7.25']]

/** Orders in the order they are placed; hair gel is in none of them. */
const ORDERS: Array<{ customer: string; lines: Array<[item: string, quantity: number]> }> = [
  {
    customer: 'Helen',
    lines: [
      ['soap', 2],
      ['toothpaste', 1],
      ['shampoo', 1],
    ],
  },
  {
    customer: 'Dave',
    lines: [
      ['razor blades', 3],
      ['after shave', 1],
    ],
  },
  {
    customer: 'Helen',
    lines: [
      ['toothbrush', 2],
      ['deodorant', 1],
    ],
  },
]

/** 2×1.80 + 2.90 + 6.40, 3×9.95 + 12.50, 2×3.25 + 4.99. */
const TOTALS = [12.9, 42.35, 11.49]

/** Every row of the four tables in key order, numbers as numbers whatever the driver returns. */
async function contents(db: Shop) {
  const customers = await db.selectFrom('customers').select(['customer_pk', 'name']).orderBy('customer_pk').execute()
  const items = await db.selectFrom('items').select(['item_pk', 'name', 'price']).orderBy('item_pk').execute()
  const orders = await db.selectFrom('orders').select(['order_pk', 'customer_pk']).orderBy('order_pk').execute()
  const lines = await db.selectFrom('order_lines').selectAll().orderBy(['order_pk', 'item_pk']).execute()
  return {
    customers: customers.map((row) => ({ customer_pk: Number(row.customer_pk), name: row.name })),
    items: items.map((row) => ({ item_pk: Number(row.item_pk), name: row.name, price: Number(row.price) })),
    orders: orders.map((row) => ({ order_pk: Number(row.order_pk), customer_pk: Number(row.customer_pk) })),
    lines: lines.map((row) => ({ order_pk: Number(row.order_pk), item_pk: Number(row.item_pk), quantity: Number(row.quantity) })),
  }
}

/** Places every order of ORDERS line by line; returns the order numbers. */
async function placeOrders(db: Shop): Promise<number[]> {
  const orderPks: number[] = []
  for (const order of ORDERS) {
    const orderPk = await createOrder(db, order.customer)
    for (const [item, quantity] of order.lines) await addOrderLine(db, orderPk, item, quantity)
    orderPks.push(orderPk)
  }
  return orderPks
}

for (const dialect of DIALECTS) {
  describe(`the retailer on ${dialect}, relations enforced by refguard (no FOREIGN KEY in the DDL)`, () => {
    let test: TestDatabase
    let guard: Guard
    let shop: Shop
    let orderPks: number[]

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'retailer')
      await createRetailerTables(test.db)
      guard = await createGuard({ db: test.db, relations: RETAILER_RELATIONS })
      shop = guard.db
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('creates customers and items with generated keys', async () => {
      for (const [index, name] of CUSTOMERS.entries()) expect(await createCustomer(shop, name)).toBe(index + 1)
      for (const [index, [name, price]] of ITEMS.entries()) expect(await createItem(shop, name, price)).toBe(index + 1)
      const { customers, items } = await contents(shop)
      expect(customers.map((row) => row.name)).toEqual(CUSTOMERS)
      expect(items).toHaveLength(ITEMS.length)
    })

    it('opens an empty order and adds lines to it by item name', async () => {
      const empty = await createOrder(shop, 'Mary')
      expect(await orderTotal(shop, empty)).toBe(0)
      await shop.deleteFrom('orders').where('order_pk', '=', empty).execute()
      orderPks = await placeOrders(shop)
      const { orders, lines } = await contents(shop)
      expect(orders.map((row) => row.customer_pk)).toEqual([1, 2, 1])
      expect(lines).toHaveLength(7)
      expect(lines.filter((line) => line.order_pk === orderPks[0])).toEqual([
        { order_pk: orderPks[0], item_pk: 4, quantity: 1 },
        { order_pk: orderPks[0], item_pk: 5, quantity: 2 },
        { order_pk: orderPks[0], item_pk: 7, quantity: 1 },
      ])
    })

    it('totals each order exactly', async () => {
      const totals = []
      for (const orderPk of orderPks) totals.push(await orderTotal(shop, orderPk))
      expect(totals).toEqual(TOTALS)
    })

    it('deletes an item no order line refers to', async () => {
      expect(await deleteItem(shop, 'hair gel')).toBe(1)
      expect((await contents(shop)).items.map((row) => row.name)).not.toContain('hair gel')
    })

    it('refuses to delete an item an order line refers to (ON DELETE RESTRICT), changing nothing', async () => {
      const before = await contents(shop)
      const error = await integrityFailure(deleteItem(shop, 'soap'))
      expect(error.relation).toBe('order_lines_item_pk_fkey')
      expect(error.sqlState).toBe('23503')
      expect(error.table).toBe('items')
      expect(error.key).toEqual({ item_pk: 5 })
      expect(error.message).toBe(
        'update or delete on table "items" violates relation "order_lines_item_pk_fkey" on table "order_lines": key (item_pk)=(5) is still referenced from table "order_lines"',
      )
      expect(await contents(shop)).toEqual(before)
    })

    it("deletes a customer with its orders and their lines (ON DELETE CASCADE), leaving other customers' untouched", async () => {
      expect(await deleteCustomer(shop, 'Helen')).toBe(1)
      const { customers, orders, lines } = await contents(shop)
      expect(customers.map((row) => row.name)).toEqual(['Dave', 'Mary'])
      expect(orders).toEqual([{ order_pk: orderPks[1], customer_pk: 2 }])
      expect(lines).toHaveLength(2)
      expect(lines.every((line) => line.order_pk === orderPks[1])).toBe(true)
      expect(await orderTotal(shop, orderPks[1] as number)).toBe(TOTALS[1])
    })

    it('refuses a line for an order that does not exist, changing nothing', async () => {
      const before = await contents(shop)
      const missing = orderPks[0] as number
      const error = await integrityFailure(addOrderLine(shop, missing, 'soap', 1))
      expect(error.relation).toBe('order_lines_order_pk_fkey')
      expect(error.sqlState).toBe('23503')
      expect(error.table).toBe('order_lines')
      expect(error.key).toEqual({ order_pk: missing })
      expect(error.message).toBe(
        `insert or update on table "order_lines" violates relation "order_lines_order_pk_fkey": key (order_pk)=(${missing}) is not present in table "orders"`,
      )
      expect(await contents(shop)).toEqual(before)
    })
  })
}

/** What a step did: its value, or the SQLSTATE and constraint (relation) name it failed with. */
type StepOutcome = { ok: unknown } | { sqlState: unknown; constraint: unknown }

async function outcomeOf(step: () => Promise<unknown>): Promise<StepOutcome> {
  try {
    return { ok: await step() }
  } catch (error) {
    // pg reports `code` and `constraint`; ReferentialIntegrityError reports `code` and `relation`.
    const { code, constraint, relation } = error as { code?: unknown; constraint?: unknown; relation?: unknown }
    return { sqlState: code, constraint: constraint ?? relation }
  }
}

/** The whole story through the business functions: every step's outcome, then the tables' final contents. */
async function playStory(shop: Shop) {
  for (const name of CUSTOMERS) await createCustomer(shop, name)
  for (const [name, price] of ITEMS) await createItem(shop, name, price)
  const orderPks = await placeOrders(shop)
  const steps = {
    totals: await outcomeOf(() => Promise.all(orderPks.map((orderPk) => orderTotal(shop, orderPk)))),
    deleteUnreferencedItem: await outcomeOf(() => deleteItem(shop, 'hair gel')),
    deleteReferencedItem: await outcomeOf(() => deleteItem(shop, 'soap')),
    deleteCustomer: await outcomeOf(() => deleteCustomer(shop, 'Helen')),
    lineForMissingOrder: await outcomeOf(() => addOrderLine(shop, orderPks[0] as number, 'soap', 1)),
  }
  return { steps, contents: await contents(shop) }
}

describe('the retailer differentially: refguard without constraints vs real FOREIGN KEYs on PostgreSQL', () => {
  let native: Awaited<ReturnType<typeof playStory>>

  beforeAll(async () => {
    const test = await createTestDatabase('postgres', 'retailer_fk')
    try {
      await createRetailerTables(test.db, { foreignKeys: true })
      native = await playStory(test.db)
    } finally {
      await test.drop()
    }
  })

  it('real constraints give the expected story', () => {
    expect(native.steps.totals).toEqual({ ok: TOTALS })
    expect(native.steps.deleteReferencedItem).toEqual({ sqlState: '23503', constraint: 'order_lines_item_pk_fkey' })
    expect(native.steps.lineForMissingOrder).toEqual({ sqlState: '23503', constraint: 'order_lines_order_pk_fkey' })
    expect(native.contents.lines).toHaveLength(2)
  })

  for (const dialect of DIALECTS) {
    it(`refguard on ${dialect} gives the same outcomes and the same final tables`, async () => {
      const test = await createTestDatabase(dialect, 'retailer_rg')
      try {
        await createRetailerTables(test.db)
        const guard = await createGuard({ db: test.db, relations: RETAILER_RELATIONS })
        try {
          expect(await playStory(guard.db)).toEqual(native)
        } finally {
          await guard.close()
        }
      } finally {
        await test.drop()
      }
    })
  }
})
