// The retailer's business functions: plain Kysely code that knows nothing of refguard. Given `guard.db`,
// the relations hold as if the tables had FOREIGN KEY constraints; given a plain Kysely, the database's own
// constraints (if any) do that job.
import { type InsertQueryBuilder, type InsertResult, type Kysely, sql } from 'kysely'
import type { RetailerDatabase } from './schema.js'

type Shop = Kysely<RetailerDatabase>

/** Adds a customer; returns its generated key. */
export async function createCustomer(db: Shop, name: string): Promise<number> {
  return insertedKey(db, db.insertInto('customers').values({ name }), 'customer_pk')
}

/** Adds an item to the inventory; `price` is a decimal string such as '4.99'. Returns its generated key. */
export async function createItem(db: Shop, name: string, price: string): Promise<number> {
  return insertedKey(db, db.insertInto('items').values({ name, price }), 'item_pk')
}

/** Opens a new empty order for the customer called `customerName`; returns the order number. */
export async function createOrder(db: Shop, customerName: string): Promise<number> {
  const customer = await db.selectFrom('customers').select('customer_pk').where('name', '=', customerName).executeTakeFirst()
  if (!customer) throw new Error(`no customer is called "${customerName}"`)
  return insertedKey(db, db.insertInto('orders').values({ customer_pk: customer.customer_pk }), 'order_pk')
}

/** Adds `quantity` of the item called `itemName` to order `orderPk`; the order must exist (refguard checks it). */
export async function addOrderLine(db: Shop, orderPk: number, itemName: string, quantity: number): Promise<void> {
  await db
    .insertInto('order_lines')
    .values((eb) => ({
      order_pk: orderPk,
      item_pk: eb.selectFrom('items').select('item_pk').where('name', '=', itemName),
      quantity,
    }))
    .execute()
}

/** What order `orderPk` costs: the sum of price × quantity over its lines (0 for an empty order). */
export async function orderTotal(db: Shop, orderPk: number): Promise<number> {
  const row = await db
    .selectFrom('order_lines as l')
    .innerJoin('items as i', 'i.item_pk', 'l.item_pk')
    .select(sql<string | null>`sum(${sql.ref('i.price')} * ${sql.ref('l.quantity')})`.as('total'))
    .where('l.order_pk', '=', orderPk)
    .executeTakeFirst()
  return Number(row?.total ?? 0)
}

/** Deletes the item called `name`; fails while an order line refers to it (ON DELETE RESTRICT). Returns rows deleted. */
export async function deleteItem(db: Shop, name: string): Promise<number> {
  const result = await db.deleteFrom('items').where('name', '=', name).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes the customer called `name` with all its orders and their lines (ON DELETE CASCADE). Returns rows deleted. */
export async function deleteCustomer(db: Shop, name: string): Promise<number> {
  const result = await db.deleteFrom('customers').where('name', '=', name).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Runs an INSERT of one row and returns its generated key: RETURNING where the dialect has it, the insert id otherwise. */
async function insertedKey<T extends keyof RetailerDatabase>(
  db: Shop,
  insert: InsertQueryBuilder<RetailerDatabase, T, InsertResult>,
  column: keyof RetailerDatabase[T] & string,
): Promise<number> {
  if (db.getExecutor().adapter.supportsReturning) {
    const row = await insert.returning(sql<number>`${sql.ref(column)}`.as('key')).executeTakeFirstOrThrow()
    return Number(row.key)
  }
  return Number((await insert.executeTakeFirstOrThrow()).insertId)
}
