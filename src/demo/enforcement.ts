import { type Kysely, sql } from 'kysely'
import pc from 'picocolors'
import { createGuard } from '../enforce/guard.js'
import { countOf, wrap } from './wording.js'

const INDENT = '   '

/** One step of the tour: the code the reader would write, and what happened. */
interface Step {
  code: string
  run: () => Promise<string>
}

async function count(db: Kysely<any>, table: string, where = sql`1 = 1`): Promise<number> {
  const result = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db)
  return Number(result.rows[0]?.n)
}

async function outcome(action: () => Promise<unknown>): Promise<string> {
  try {
    await action()
    return pc.green('ok')
  } catch (error) {
    const { name, message } = error as Error
    return `${pc.red(name)}: ${message}`
  }
}

function customerOrders(name: string) {
  return sql`customer_pk = (select customer_pk from shop.customers where name = ${name})`
}

/** The shop again, now written through guard.db: refused orphans, refused deletes, a cascade and a transaction. */
export async function enforcementSection(db: Kysely<any>, relations: string[]): Promise<string> {
  const guard = await createGuard({ db, relations })
  try {
    const helenOrders = await count(db, 'shop.orders', customerOrders('Helen'))
    const helenLines = await count(
      db,
      'shop.order_lines',
      sql`order_pk in (select order_pk from shop.orders where ${customerOrders('Helen')})`,
    )
    const steps: Step[] = [
      {
        code: "guard.db.insertInto('shop.order_lines').values({ order_pk: 999, item_pk: 1, quantity: 1 })",
        run: () => outcome(() => guard.db.insertInto('shop.order_lines').values({ order_pk: 999, item_pk: 1, quantity: 1 }).execute()),
      },
      {
        code: "guard.db.deleteFrom('shop.items').where('name', '=', 'soap')",
        run: () => outcome(() => guard.db.deleteFrom('shop.items').where('name', '=', 'soap').execute()),
      },
      {
        code: "guard.db.deleteFrom('shop.customers').where('name', '=', 'Helen')",
        run: async () => {
          const result = await outcome(() => guard.db.deleteFrom('shop.customers').where('name', '=', 'Helen').execute())
          const ordersLeft = await count(db, 'shop.orders', sql`customer_pk not in (select customer_pk from shop.customers)`)
          return `${result}: ${countOf(helenOrders, 'order')} and ${countOf(helenLines, 'order line')} of Helen's went with her (cascade). Orders whose customer is missing: ${ordersLeft}, all from before refguard guarded the writes; refguard check still reports them.`
        },
      },
      {
        code: 'guard.db.transaction().execute(async (trx) => { insert an order for Dave, then its line })',
        run: () =>
          outcome(() =>
            guard.db.transaction().execute(async (trx) => {
              const dave = await trx.selectFrom('shop.customers').select('customer_pk').where('name', '=', 'Dave').executeTakeFirstOrThrow()
              const order = await trx
                .insertInto('shop.orders')
                .values({ customer_pk: dave.customer_pk, created_at: new Date('2024-06-01T12:00:00Z') })
                .returning('order_pk')
                .executeTakeFirstOrThrow()
              const item = await trx.selectFrom('shop.items').select('item_pk').where('name', '=', 'soap').executeTakeFirstOrThrow()
              await trx.insertInto('shop.order_lines').values({ order_pk: order.order_pk, item_pk: item.item_pk, quantity: 2 }).execute()
            }),
          ),
      },
      {
        code: 'sql`delete from shop.orders`.execute(guard.db)',
        run: () => outcome(() => sql`delete from shop.orders`.execute(guard.db)),
      },
    ]
    const lines: string[] = []
    for (const step of steps) lines.push(`${INDENT}${pc.dim('>')} ${step.code}`, wrap(await step.run(), `${INDENT}  `), '')
    return [
      pc.bold(pc.cyan('4. shop, enforced: the same relations, now kept by refguard on every write')),
      wrap(
        'createGuard({ db, relations }) returns guard.db, a Kysely whose inserts, updates and deletes behave as if the relations ' +
          'were FOREIGN KEY constraints: parents locked on child writes, ON DELETE actions run set-based in the same transaction.',
        INDENT,
      ),
      lines.join('\n'),
    ].join('\n\n')
  } finally {
    await guard.close()
  }
}
