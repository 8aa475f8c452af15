import { type CreateTableBuilder, type Generated, type Kysely, MysqlAdapter, sql } from 'kysely'

/** The retailer's tables as TypeScript sees them. */
export interface RetailerDatabase {
  customers: { customer_pk: Generated<number>; name: string }
  items: { item_pk: Generated<number>; name: string; price: string }
  orders: { order_pk: Generated<number>; customer_pk: number; order_timestamp: Generated<Date> }
  order_lines: { order_pk: number; item_pk: number; quantity: number }
}

/** The SQL family whose DDL a database speaks. */
export type DialectFamily = 'postgres' | 'mysql'

/** The family of the database behind `db` (PGlite counts as PostgreSQL). */
export function dialectFamily(db: Kysely<any>): DialectFamily {
  return db.getExecutor().adapter instanceof MysqlAdapter ? 'mysql' : 'postgres'
}

type Table = CreateTableBuilder<string, never>

/** An auto-generated integer primary key: `serial` on PostgreSQL, `auto_increment` on MySQL. */
function withSurrogateKey(table: Table, column: string, family: DialectFamily): Table {
  return family === 'postgres'
    ? table.addColumn(column, 'serial', (col) => col.primaryKey())
    : table.addColumn(column, 'integer', (col) => col.autoIncrement().primaryKey())
}

/**
 * Creates customers, items, orders and order_lines. Without `foreignKeys` (the refguard setup) the DDL
 * declares no FOREIGN KEY; with it, the same three relations become real constraints, for comparison.
 */
export async function createRetailerTables(db: Kysely<any>, options: { foreignKeys?: boolean } = {}): Promise<void> {
  const family = dialectFamily(db)
  const now = family === 'postgres' ? sql`now()` : sql`current_timestamp`
  await withSurrogateKey(db.schema.createTable('customers'), 'customer_pk', family)
    .addColumn('name', 'varchar(100)', (col) => col.notNull().unique())
    .execute()
  await withSurrogateKey(db.schema.createTable('items'), 'item_pk', family)
    .addColumn('name', 'varchar(100)', (col) => col.notNull().unique())
    .addColumn('price', 'numeric(8, 2)', (col) => col.notNull())
    .execute()
  let orders = withSurrogateKey(db.schema.createTable('orders'), 'order_pk', family)
    .addColumn('customer_pk', 'integer', (col) => col.notNull())
    .addColumn('order_timestamp', 'timestamp', (col) => col.notNull().defaultTo(now))
  if (options.foreignKeys) {
    orders = orders.addForeignKeyConstraint('orders_customer_pk_fkey', ['customer_pk'], 'customers', ['customer_pk'], (fk) =>
      fk.onDelete('cascade'),
    )
  }
  await orders.execute()
  let lines = db.schema
    .createTable('order_lines')
    .addColumn('order_pk', 'integer', (col) => col.notNull())
    .addColumn('item_pk', 'integer', (col) => col.notNull())
    .addColumn('quantity', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('order_lines_pkey', ['order_pk', 'item_pk'])
  if (options.foreignKeys) {
    lines = lines
      .addForeignKeyConstraint('order_lines_order_pk_fkey', ['order_pk'], 'orders', ['order_pk'], (fk) => fk.onDelete('cascade'))
      .addForeignKeyConstraint('order_lines_item_pk_fkey', ['item_pk'], 'items', ['item_pk'], (fk) => fk.onDelete('restrict'))
  }
  await lines.execute()
  // Child-side indexes make RESTRICT checks and cascades index lookups (order_pk leads the primary key already).
  await db.schema.createIndex('orders_customer_pk_idx').on('orders').column('customer_pk').execute()
  await db.schema.createIndex('order_lines_item_pk_idx').on('order_lines').column('item_pk').execute()
}
