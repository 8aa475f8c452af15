import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pc from 'picocolors'
import { resolveConfig } from '../config/normalize.js'
import { openDatabase } from '../db/connect.js'
import { createGuard } from '../enforce/guard.js'
import { countOf, refusal, wrap } from './wording.js'

const INDENT = '   '
const RELATION = 'orders_customer'

/** Two PGlite databases, customers in one and orders in the other: check, repair and child writes across them. */
export async function splitSection(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'refguard-demo-split-'))
  const urls = { main: `pglite://${join(dir, 'shop')}`, billing: `pglite://${join(dir, 'billing')}` }
  try {
    const billing = await openDatabase('billing', urls.billing)
    await sql`create table customers (id int primary key, name text not null)`.execute(billing.db)
    await sql`insert into customers values (1, 'Ada'), (2, 'Grace'), (3, 'Edsger')`.execute(billing.db)
    await billing.close()
    const shop = await openDatabase('main', urls.main)
    await sql`create table orders (id int primary key, customer_id int not null)`.execute(shop.db)
    await sql`insert into orders values (10, 1), (11, 2), (12, 2), (13, 4), (14, 4), (15, 3)`.execute(shop.db)
    await shop.close()
    const config = resolveConfig({
      databases: urls,
      relations: [
        {
          name: RELATION,
          child: { table: 'orders', columns: ['customer_id'] },
          parent: { database: 'billing', table: 'customers', columns: ['id'] },
        },
      ],
    })
    const guard = await createGuard(config)
    try {
      const check = await guard.check()
      const orphans = check.relations.find((relation) => relation.name === RELATION)?.orphans ?? 0
      const insert = await refusal(() => guard.db.insertInto('orders').values({ id: 16, customer_id: 4 }).execute())
      await guard.db.insertInto('orders').values({ id: 17, customer_id: 3 }).execute()
      const repair = await guard.repair({ apply: true })
      const after = await guard.check()
      return [
        pc.bold(pc.cyan('8. split in two: orders in one database, customers in another')),
        wrap(
          'No FOREIGN KEY reaches from one database to another. Here orders (main) reference customers (billing), two PGlite ' +
            "databases, with the relation's parent side naming its database: parent: { database: 'billing', table: 'customers' }.",
          INDENT,
        ),
        wrap(
          `refguard check merges the sorted keys of both sides page by page: ${countOf(orphans, 'order')} of customer 4, which billing never had.`,
          INDENT,
        ),
        wrap(`guard.db checks a new order's customer in billing: a new order for customer 4 is refused: ${insert}`, INDENT),
        wrap(
          `refguard repair --apply deletes them in the orders database, archived there (${countOf(repair.changed, 'row')} changed); check afterwards: ${countOf(after.relations[0]?.orphans ?? 0, 'orphan')}.`,
          INDENT,
        ),
      ].join('\n\n')
    } finally {
      await guard.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
