import { type Kysely, type RawBuilder, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCheck } from '../src/audit/check.js'
import { resolveConfig } from '../src/config/normalize.js'
import type { RelationInput } from '../src/config/types.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { readTableParents } from '../src/db/table-parents.js'
import { relationsFromForeignKeys } from '../src/migrate/from-foreign-keys.js'
import { createTestDatabase, DIALECTS, type TestDatabase, type TestDialect } from './support/databases.js'
import { dropForeignKeys, loadNorthwind, loadSakila } from './support/datasets.js'

/** A real sample database, and the orphans the test injects into it once its foreign keys are dropped. */
interface Dataset {
  name: string
  dialects: readonly TestDialect[]
  load(test: TestDatabase): Promise<void>
  /** Declared FKs per engine family, and the partition FKs among them that the parent table's FK covers. */
  foreignKeys: Partial<Record<'postgres' | 'mysql', { declared: number; covered: string[] }>>
  /** Rows of every child table as loaded: psql loading the same dump gives these counts. */
  rows: Record<string, number>
  /** Breaks the data, checking first the facts the expected counts rely on. */
  inject(db: Kysely<any>, family: 'postgres' | 'mysql'): Promise<void>
  /** How the injection changes the child tables' row counts. */
  rowChanges: Record<string, number>
  /** Injected orphans per relation, keyed by its child side: constraint names differ between the PG and MySQL schemas. */
  orphans: Record<string, number>
}

async function count(db: Kysely<any>, query: RawBuilder<unknown>): Promise<number> {
  const result = await sql<{ n: unknown }>`select count(*) as n from ${query}`.execute(db)
  return Number(result.rows[0]?.n)
}

/** The FKs each of sakila's six `payment` partitions (inheritance children) repeats from `payment`. */
const PAYMENT_PARTITION_FKS = ['01', '02', '03', '04', '05', '06'].flatMap((month) =>
  ['customer_id', 'rental_id', 'staff_id'].map((column) => `payment_p2007_${month}_${column}_fkey`),
)

const SAKILA: Dataset = {
  name: 'sakila',
  dialects: DIALECTS,
  load: loadSakila,
  foreignKeys: { postgres: { declared: 40, covered: PAYMENT_PARTITION_FKS }, mysql: { declared: 22, covered: [] } },
  rows: {
    address: 603,
    city: 600,
    customer: 599,
    film: 1000,
    film_actor: 5462,
    film_category: 1000,
    inventory: 4581,
    payment: 16049,
    rental: 16044,
    staff: 2,
    store: 2,
  },
  async inject(db, family) {
    expect(await count(db, sql`rental where rental_id <= 7`)).toBe(7)
    await db
      .updateTable('rental')
      .set({ inventory_id: sql`inventory_id + 1000000` })
      .where('rental_id', '<=', 7)
      .execute()

    expect(await count(db, sql`film_actor where actor_id = 148`)).toBe(14)
    await db.deleteFrom('actor').where('actor_id', '=', 148).execute()

    // Every film's original_language_id is NULL; 992 stay NULL, which is no orphan.
    expect(await count(db, sql`film where original_language_id is null`)).toBe(1000)
    await db.updateTable('film').set({ original_language_id: 2 }).where('film_id', '<=', 5).execute()
    await db.updateTable('film').set({ original_language_id: 99 }).where('film_id', 'in', [6, 7, 8]).execute()

    expect(await count(db, sql`payment where rental_id between 10 and 13`)).toBe(4)
    await db.deleteFrom('rental').where('rental_id', 'in', [10, 11, 12, 13]).execute()

    // Dated March 2007, so on PostgreSQL sakila's rule puts them into the inheritance child payment_p2007_03.
    for (const amount of [1.99, 2.99]) {
      await db
        .insertInto('payment')
        .values({ customer_id: 9999, staff_id: 1, rental_id: 1, amount, payment_date: '2007-03-15 12:00:00' })
        .execute()
    }
    if (family === 'postgres') expect(await count(db, sql`payment_p2007_03`)).toBe(2)
  },
  rowChanges: { rental: -4, payment: 2 },
  orphans: {
    'rental(inventory_id)': 7,
    'film_actor(actor_id)': 14,
    'film(original_language_id)': 3,
    'payment(rental_id)': 4,
    'payment(customer_id)': 2,
  },
}

const NORTHWIND: Dataset = {
  name: 'northwind',
  dialects: ['pglite', 'postgres'],
  load: loadNorthwind,
  foreignKeys: { postgres: { declared: 13, covered: [] } },
  rows: {
    customer_customer_demo: 0,
    employee_territories: 49,
    employees: 9,
    order_details: 2155,
    orders: 830,
    products: 77,
    territories: 53,
  },
  async inject(db) {
    expect(await count(db, sql`order_details where product_id = 9`)).toBe(5)
    await db.deleteFrom('products').where('product_id', '=', 9).execute()

    expect(await count(db, sql`orders where ship_via = 3`)).toBe(255)
    await db.deleteFrom('shippers').where('shipper_id', '=', 3).execute()

    // Three orders lose their customer (NULL, no orphan), two get one that does not exist.
    await db.updateTable('orders').set({ customer_id: null }).where('order_id', 'in', [10250, 10251, 10252]).execute()
    await db.updateTable('orders').set({ customer_id: 'ZZZZZ' }).where('order_id', 'in', [10248, 10249]).execute()

    // A self-reference: one employee reports to a manager who does not exist; the top one (NULL) still reports to nobody.
    expect(await count(db, sql`employees where reports_to is null`)).toBe(1)
    await db.updateTable('employees').set({ reports_to: 42 }).where('employee_id', '=', 9).execute()
  },
  rowChanges: { products: -1 },
  orphans: {
    'order_details(product_id)': 5,
    'orders(ship_via)': 255,
    'orders(customer_id)': 2,
    'employees(reports_to)': 1,
  },
}

function childSide(relation: RelationInput): string {
  return `${relation.child.table}(${relation.child.columns.join(', ')})`
}

for (const dataset of [SAKILA, NORTHWIND]) {
  for (const dialect of dataset.dialects) {
    describe(`${dataset.name} on ${dialect}`, () => {
      let test: TestDatabase
      let relations: RelationInput[]
      let covered: string[]
      const family = () => test.database.dialect.family
      const check = () => {
        const config = resolveConfig({ databases: { main: test.url }, relations })
        return runCheck(config, new DatabaseSet(config, { main: test.database }))
      }
      const expectedPerRelation = (value: (relation: RelationInput) => number): Record<string, number> =>
        Object.fromEntries(relations.map((relation) => [relation.name, value(relation)]))

      beforeAll(async () => {
        test = await createTestDatabase(dialect, dataset.name)
        await dataset.load(test)
        ;({ relations, covered } = relationsFromForeignKeys(await test.database.introspect(), await readTableParents(test.database)))
      })
      afterAll(() => test?.drop())

      it('turns every declared FK into a relation, except partition FKs their parent table covers', () => {
        const expected = dataset.foreignKeys[family()]
        expect(relations.length + covered.length).toBe(expected?.declared)
        expect([...covered].sort()).toEqual([...(expected?.covered ?? [])].sort())
        expect(new Set(relations.map(childSide)).size).toBe(relations.length)
        for (const side of Object.keys(dataset.orphans)) expect(relations.map(childSide)).toContain(side)
      })

      it('finds no orphans while the declared FKs hold', async () => {
        const report = await check()
        expect(Object.fromEntries(report.relations.map((r) => [r.name, r.orphans]))).toEqual(expectedPerRelation(() => 0))
        expect(Object.fromEntries(report.relations.map((r) => [r.name, r.rowsChecked]))).toEqual(
          expectedPerRelation((relation) => dataset.rows[relation.child.table] as number),
        )
        expect(report.findings.filter((finding) => finding.kind === 'orphans')).toEqual([])
      })

      it('counts exactly the injected orphans once the FKs are dropped: NULL keys and partition rows included correctly', async () => {
        expect(await dropForeignKeys(test)).toBe(dataset.foreignKeys[family()]?.declared)
        await dataset.inject(test.db, family())
        const report = await check()

        const orphans = expectedPerRelation((relation) => dataset.orphans[childSide(relation)] ?? 0)
        expect(Object.fromEntries(report.relations.map((r) => [r.name, r.orphans]))).toEqual(orphans)
        const rows = expectedPerRelation(
          (relation) => (dataset.rows[relation.child.table] as number) + (dataset.rowChanges[relation.child.table] ?? 0),
        )
        expect(Object.fromEntries(report.relations.map((r) => [r.name, r.rowsChecked]))).toEqual(rows)
        const findings = report.findings.filter((finding) => finding.kind === 'orphans').map((finding) => [finding.relation, finding.count])
        const injected = Object.entries(orphans).filter(([, n]) => n > 0)
        expect(findings.sort()).toEqual(injected.sort())
      })
    })
  }
}
