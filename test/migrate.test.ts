import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load.js'
import { resolveConfig } from '../src/config/normalize.js'
import { openDatabase } from '../src/db/connect.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { hasLeadingIndex, type SchemaInfo } from '../src/db/schema-info.js'
import { applyStatements, MigrationApplyError } from '../src/migrate/apply.js'
import { planToHard } from '../src/migrate/to-hard.js'
import { type CliResult, runCli, writeTempFiles } from './support/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase, type TestDialect } from './support/databases.js'
import { declaredForeignKeys } from './support/declared-foreign-keys.js'

/** Opens the test database anew (PGlite allows one process at a time, so the test closes its own while the CLI runs). */
async function inspect<T>(test: TestDatabase, body: (db: Kysely<any>, schema: SchemaInfo) => Promise<T> | T): Promise<T> {
  const database = await openDatabase('main', test.url)
  try {
    return await body(database.db, await database.introspect())
  } finally {
    await database.close()
  }
}

/** Shop tables built with Kysely's schema builder, so names are quoted alike on every engine. */
async function createShop(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'integer', (column) => column.primaryKey())
    .execute()
  await db.schema
    .createTable('orders')
    .addColumn('id', 'integer', (column) => column.primaryKey())
    .addColumn('customer_id', 'integer')
    .addForeignKeyConstraint('orders_customer_fk', ['customer_id'], 'customers', ['id'], (fk) =>
      fk.onDelete('cascade').onUpdate('restrict'),
    )
    .execute()
  // A table and a constraint whose names hold both kinds of quote.
  await db.schema
    .createTable('we"ird`s')
    .addColumn('id', 'integer', (column) => column.primaryKey())
    .addColumn('order id', 'integer')
    .addForeignKeyConstraint(`it's "fk"`, ['order id'], 'orders', ['id'], (fk) => fk.onDelete('set null'))
    .execute()
}

/** PostgreSQL only: MATCH FULL, ON DELETE SET NULL (cols) and deferrable constraints, which InnoDB cannot declare. */
async function createPostgresExtras(db: Kysely<any>): Promise<void> {
  await sql`create table pairs (id integer primary key, a integer, b integer, unique (a, b))`.execute(db)
  await sql`create table refs (id integer primary key, a integer, b integer, note text default 'x',
    constraint refs_pair_fk foreign key (a, b) references pairs (a, b) match full on delete set null (b) deferrable initially deferred)`.execute(
    db,
  )
}

/** An identifier quoted the way Kysely quotes it for the dialect. */
function quoted(dialect: TestDialect, name: string): string {
  const quote = dialect === 'mariadb' ? '`' : '"'
  return `${quote}${name.split(quote).join(quote + quote)}${quote}`
}

function config(test: TestDatabase, relations: unknown[] = []): string {
  return JSON.stringify({ databases: { main: { url: test.url } }, relations }, null, 2)
}

function json(result: CliResult): any {
  return JSON.parse(result.stdout)
}

for (const dialect of DIALECTS) {
  describe(`migrate on ${dialect}`, () => {
    let test: TestDatabase
    let dir: string
    let file: string
    const family = (name: TestDialect) => (name === 'mariadb' ? 'mysql' : 'postgres')
    const migrate = (...args: string[]) => runCli(['migrate', ...args, '--config', file])

    beforeEach(async () => {
      test = await createTestDatabase(dialect, 'migrate')
      dir = writeTempFiles({})
      file = join(dir, 'refguard.config.json')
    })
    afterEach(() => test?.drop())

    it('to-soft writes every FK into the config as a relation, prints the DROPs, drops them with --apply, and changes nothing the second time', async () => {
      await createShop(test.db)
      if (family(dialect) === 'postgres') await createPostgresExtras(test.db)
      const original = declaredForeignKeys(await test.database.introspect())
      await test.disconnect()
      writeFileSync(file, config(test))

      const printed = await migrate('to-soft')
      expect(printed.code).toBe(0)
      expect(printed.stdout).toContain('DDL to drop the constraints')
      const drop = family(dialect) === 'postgres' ? 'DROP CONSTRAINT' : 'DROP FOREIGN KEY'
      for (const foreignKey of original) expect(printed.stdout).toContain(`${drop} ${quoted(dialect, foreignKey.name)}`)
      expect(await inspect(test, (_, schema) => declaredForeignKeys(schema))).toEqual(original)

      const relations = (await loadConfig(file)).relations
      expect(relations.map((relation) => relation.name).sort()).toEqual(original.map((foreignKey) => foreignKey.name).sort())
      for (const foreignKey of original) {
        const relation = relations.find((candidate) => candidate.name === foreignKey.name)
        expect(relation).toMatchObject({
          child: { table: foreignKey.table, columns: foreignKey.columns },
          parent: { table: foreignKey.parent.table, columns: foreignKey.parent.columns },
          onDelete: foreignKey.onDelete,
          onUpdate: foreignKey.onUpdate,
          match: foreignKey.match,
          deferrable: foreignKey.deferrable,
          initiallyDeferred: foreignKey.initiallyDeferred,
        })
        expect(relation?.onDeleteSetColumns).toEqual(foreignKey.onDeleteSetColumns)
      }
      const written = readFileSync(file, 'utf8')

      const applied = await migrate('to-soft', '--apply', '--json')
      expect(applied.code).toBe(0)
      expect(json(applied)).toMatchObject({ ok: true, applied: true, config: { added: [] } })
      expect(json(applied).statements).toHaveLength(original.length)
      expect(await inspect(test, (_, schema) => declaredForeignKeys(schema))).toEqual([])
      expect(readFileSync(file, 'utf8')).toBe(written)

      const again = await migrate('to-soft', '--apply', '--json')
      expect(again.code).toBe(0)
      expect(json(again)).toMatchObject({ ok: true, statements: [], relations: [] })
      expect(readFileSync(file, 'utf8')).toBe(written)

      // ... and to-hard declares them again exactly as they were; a second to-hard changes nothing.
      const hard = await migrate('to-hard', '--apply', '--json')
      expect(hard.code).toBe(0)
      expect(json(hard)).toMatchObject({ ok: true, applied: true, failures: [], staySoft: [] })
      expect(await inspect(test, (_, schema) => declaredForeignKeys(schema))).toEqual(original)
      const hardAgain = await migrate('to-hard', '--apply', '--json')
      expect(json(hardAgain)).toMatchObject({ ok: true, statements: [], converted: [] })
      expect(
        json(hardAgain)
          .alreadyHard.map((entry: { relation: string }) => entry.relation)
          .sort(),
      ).toEqual(original.map((foreignKey) => foreignKey.name).sort())
    })

    it('to-hard refuses while orphans and sentinels exist, lists them with their fixes and changes nothing; after repair it declares the FK and its index', async () => {
      await test.exec(`create table customers (id integer primary key);
        create table orders (id integer primary key, customer_id integer);
        insert into customers (id) values (1), (2);
        insert into orders (id, customer_id) values (1, 1), (2, 2), (3, 0), (4, 0), (5, 99), (6, null)`)
      await test.disconnect()
      writeFileSync(
        file,
        config(test, [
          {
            name: 'orders_customer_fk',
            child: { table: 'orders', columns: ['customer_id'] },
            parent: { table: 'customers', columns: ['id'] },
            onDelete: 'cascade',
          },
        ]),
      )

      const refused = await migrate('to-hard', '--apply', '--json')
      expect(refused.code).toBe(1)
      const output = json(refused)
      expect(output).toMatchObject({ ok: false, applied: false, statements: [] })
      expect(output.failures).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'sentinel', relation: 'orders_customer_fk', count: 2 }),
          expect.objectContaining({ kind: 'orphans', relation: 'orders_customer_fk', count: 1 }),
        ]),
      )
      expect(output.failures.find((failure: { kind: string }) => failure.kind === 'orphans').fix).toContain(
        'refguard repair --relation orders_customer_fk --apply',
      )
      expect(await inspect(test, (_, schema) => declaredForeignKeys(schema))).toEqual([])
      const text = await migrate('to-hard')
      expect(text.code).toBe(1)
      expect(text.stdout).toContain('Preflight failed: nothing changed. 2 problem(s) stop the migration:')
      expect(text.stdout).toContain('[orphans]')

      const repaired = await runCli(['repair', '--apply', '--config', file])
      expect(repaired.code).toBe(0)
      const declared = await migrate('to-hard', '--apply')
      expect(declared.code).toBe(0)
      expect(declared.stdout).toContain('Declared 1 relation(s) as constraints')
      const schema = await inspect(test, (_, introspected) => introspected)
      expect(declaredForeignKeys(schema)).toEqual([
        expect.objectContaining({
          table: 'orders',
          name: 'orders_customer_fk',
          columns: ['customer_id'],
          parent: { table: 'customers', columns: ['id'] },
          onDelete: 'cascade',
        }),
      ])
      const orders = schema.tables.find((table) => table.name === 'orders')
      expect(orders && hasLeadingIndex(orders, ['customer_id'])).toBe(true)
      expect(
        await inspect(test, async (db) => (await db.selectFrom('orders').select('id').orderBy('id').execute()).map((row) => row.id)),
      ).toEqual([1, 2, 3, 4, 6])
    })

    it('keeps soft what the engine cannot declare, and says why', async () => {
      const other = await createTestDatabase(dialect, 'migrate_other')
      try {
        await test.exec(`create table customers (id integer primary key);
          create table posts (id integer primary key);
          create table comments (id integer primary key, commentable_type varchar(20), commentable_id integer);
          create table orders (id integer primary key, customer_id integer default 1, a integer, b integer);
          create table pairs (a integer, b integer, primary key (a, b));
          create view customer_view as select id from customers`)
        await other.exec('create table customers (id integer primary key)')
        const relations = [
          {
            name: 'polymorphic',
            child: { table: 'comments', columns: ['commentable_id'], where: { commentable_type: 'Post' } },
            parent: { table: 'posts', columns: ['id'] },
          },
          {
            name: 'cross_database',
            child: { table: 'orders', columns: ['customer_id'] },
            parent: { database: 'other', table: 'customers', columns: ['id'] },
          },
          {
            name: 'queued',
            child: { table: 'orders', columns: ['customer_id'] },
            parent: { table: 'customers', columns: ['id'] },
            mode: 'queued',
          },
          { name: 'to_view', child: { table: 'orders', columns: ['customer_id'] }, parent: { table: 'customer_view', columns: ['id'] } },
          {
            name: 'set_default',
            child: { table: 'orders', columns: ['customer_id'] },
            parent: { table: 'customers', columns: ['id'] },
            onDelete: 'set default',
          },
          {
            name: 'match_full',
            child: { table: 'orders', columns: ['a', 'b'] },
            parent: { table: 'pairs', columns: ['a', 'b'] },
            match: 'full',
          },
        ]
        const resolved = resolveConfig({ databases: { main: test.url, other: other.url }, relations })
        const databases = new DatabaseSet(resolved, { main: test.database, other: other.database })
        const plan = await planToHard(resolved, databases)
        const reasons = Object.fromEntries(plan.staySoft.map((entry) => [entry.relation, entry.reason]))
        expect(reasons.polymorphic).toContain('polymorphic')
        expect(reasons.cross_database).toContain('cross-database')
        expect(reasons.queued).toContain('mode "queued"')
        expect(reasons.to_view).toContain('parent customer_view is a view')
        if (family(dialect) === 'mysql') {
          // InnoDB rejects SET DEFAULT and ignores MATCH FULL: both stay soft there.
          expect(reasons.set_default).toContain('SET DEFAULT')
          expect(reasons.match_full).toContain('MATCH FULL')
          expect(plan.converted).toEqual([])
        } else expect(plan.converted.sort()).toEqual(['match_full', 'set_default'])
        expect(plan.ok).toBe(true)
        await applyStatements(plan.statements, databases)
        const declared = declaredForeignKeys(await test.database.introspect())
        expect(declared.map((foreignKey) => foreignKey.name).sort()).toEqual(plan.converted.sort())
      } finally {
        await other.drop()
      }
    })

    it('refuses a relation whose constraint name is taken or too long, or that a FK declares with other actions', async () => {
      await test.exec(`create table customers (id integer primary key);
        create table orders (id integer primary key, customer_id integer);
        create table invoices (id integer primary key, customer_id integer);
        create table payments (id integer primary key, customer_id integer,
          constraint payments_customer_fk foreign key (customer_id) references customers (id) on delete cascade)`)
      // The name is taken where the engine looks: PostgreSQL per table (a CHECK here), MySQL per database (another table's FK).
      if (family(dialect) === 'postgres') await test.exec('alter table orders add constraint taken check (customer_id > 0)')
      else await test.exec('alter table invoices add constraint taken foreign key (customer_id) references customers (id)')
      const long = `orders_customer_${'x'.repeat(60)}`
      const orders = { child: { table: 'orders', columns: ['customer_id'] }, parent: { table: 'customers', columns: ['id'] } }
      const relations = [
        { name: 'taken', ...orders },
        { name: long, ...orders },
        'payments(customer_id) -> customers(id) on delete restrict',
      ]
      const resolved = resolveConfig({ databases: { main: test.url }, relations })
      const plan = await planToHard(resolved, new DatabaseSet(resolved, { main: test.database }))
      expect(plan.ok).toBe(false)
      expect(plan.statements).toEqual([])
      const byRelation = Object.fromEntries(plan.failures.map((failure) => [failure.relation, failure]))
      expect(byRelation.taken).toMatchObject({ kind: 'name-collision' })
      expect(byRelation.taken?.message).toContain(
        family(dialect) === 'postgres'
          ? 'but orders already has a constraint of that name'
          : `but database ${test.database.location.database ?? ''}`,
      )
      expect(byRelation.taken?.fix).toContain("name: 'orders_customer_id_fkey'")
      expect(byRelation[long]).toMatchObject({ kind: 'name-too-long' })
      expect(byRelation.payments_customer_id_fkey).toMatchObject({ kind: 'declared-differently' })
      expect(byRelation.payments_customer_id_fkey?.message).toContain(
        'payments_customer_fk on these columns, which acts differently (on delete: cascade -> restrict',
      )
    })

    it('stops at the first failing statement, says what took effect, and finishes on the next run', async () => {
      await test.exec(`create table customers (id integer primary key);
        create table orders (id integer primary key, customer_id integer);
        insert into customers (id) values (1);
        insert into orders (id, customer_id) values (1, 1)`)
      const resolved = resolveConfig({ databases: { main: test.url }, relations: ['orders(customer_id) -> customers(id)'] })
      const databases = new DatabaseSet(resolved, { main: test.database })
      const plan = await planToHard(resolved, databases)
      expect(plan.ok).toBe(true)
      // An orphan written between the preflight and the DDL.
      await test.exec('insert into orders (id, customer_id) values (2, 42)')
      const failure = await applyStatements(plan.statements, databases).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(MigrationApplyError)
      const error = failure as MigrationApplyError
      expect(error.message).toContain('failed on database "main" (relation "orders_customer_id_fkey")')
      expect(error.message).toContain('run the same command again: what already took effect is not repeated')
      await test.exec('delete from orders where id = 2')
      const rerun = await planToHard(resolved, databases)
      if (family(dialect) === 'postgres') {
        // The index and the NOT VALID constraint took effect; only the validation is left.
        expect(error.applied.map((statement) => statement.sql)).toEqual(plan.statements.slice(0, 2).map((statement) => statement.sql))
        expect(rerun.statements.map((statement) => statement.sql)).toEqual([plan.statements[2]?.sql])
      } else {
        expect(error.applied.map((statement) => statement.sql)).toEqual([plan.statements[0]?.sql])
        expect(rerun.statements.map((statement) => statement.sql)).toEqual([plan.statements[1]?.sql])
      }
      await applyStatements(rerun.statements, databases)
      const again = await planToHard(resolved, databases)
      expect(again).toMatchObject({
        ok: true,
        statements: [],
        alreadyHard: [{ relation: 'orders_customer_id_fkey', constraints: ['orders_customer_id_fkey'] }],
      })
    })

    it('to-soft names a relation table.constraint when its constraint name is taken, and to-hard gives the constraint its name back', async () => {
      await test.exec(`create table customers (id integer primary key);
        create table payments (id integer primary key, customer_id integer);
        create table orders (id integer primary key, customer_id integer,
          constraint fk_customer foreign key (customer_id) references customers (id) on delete cascade)`)
      // PostgreSQL names constraints per table, so two tables may each have one called fk_customer; MySQL names them per database.
      if (family(dialect) === 'postgres') {
        await test.exec(`create table invoices (id integer primary key, customer_id integer,
          constraint fk_customer foreign key (customer_id) references customers (id))`)
      }
      const original = declaredForeignKeys(await test.database.introspect())
      await test.disconnect()
      // The config already calls another relation fk_customer.
      writeFileSync(
        file,
        config(test, [
          { name: 'fk_customer', child: { table: 'payments', columns: ['customer_id'] }, parent: { table: 'customers', columns: ['id'] } },
        ]),
      )

      const soft = await migrate('to-soft', '--apply', '--json')
      expect(soft.code).toBe(0)
      const expectedNames =
        family(dialect) === 'postgres'
          ? ['fk_customer', 'invoices.fk_customer', 'orders.fk_customer']
          : ['fk_customer', 'orders.fk_customer']
      expect((await loadConfig(file)).relations.map((relation) => relation.name).sort()).toEqual(expectedNames)
      expect(await inspect(test, (_, schema) => declaredForeignKeys(schema))).toEqual([])

      const hard = await migrate(
        'to-hard',
        '--apply',
        '--json',
        ...expectedNames.filter((name) => name.includes('.')).flatMap((name) => ['--relation', name]),
      )
      expect(hard.code).toBe(0)
      expect(await inspect(test, (_, schema) => declaredForeignKeys(schema))).toEqual(original)
    })

    it('to-soft refuses a constraint the config already has with other actions, and changes nothing', async () => {
      await test.exec(`create table customers (id integer primary key);
        create table orders (id integer primary key, customer_id integer,
          constraint orders_customer_fk foreign key (customer_id) references customers (id) on delete cascade)`)
      await test.disconnect()
      writeFileSync(file, config(test, ['orders(customer_id) -> customers(id) on delete restrict']))
      const before = readFileSync(file, 'utf8')
      const refused = await migrate('to-soft', '--apply')
      expect(refused.code).toBe(1)
      expect(refused.stdout).toContain('Nothing changed: 1 constraint(s) cannot become relations as they are.')
      expect(refused.stdout).toContain(
        'constraint orders_customer_fk on orders is already in the config as relation "orders_customer_id_fkey", which acts differently (on delete: cascade -> restrict)',
      )
      expect(readFileSync(file, 'utf8')).toBe(before)
      expect((await inspect(test, (_, schema) => declaredForeignKeys(schema))).map((foreignKey) => foreignKey.name)).toEqual([
        'orders_customer_fk',
      ])
      const usage = await migrate('to-soft', '--relation', 'x')
      expect(usage.code).toBe(2)
      expect(usage.stderr).toContain('--relation applies to to-hard only')
    })
  })
}
