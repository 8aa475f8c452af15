import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load.js'
import { runCli, writeTempFiles } from './support/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

const SHOP = fileURLToPath(new URL('./fixtures/prisma/shop.prisma', import.meta.url))
const MALFORMED = fileURLToPath(new URL('./fixtures/prisma/malformed.prisma', import.meta.url))

/** The relations shop.prisma declares (see import-prisma.test.ts for each one's columns and actions). */
const SHOP_RELATIONS = 12

function configFile(url: string, relations: unknown[] = []): string {
  const dir = writeTempFiles({ 'refguard.config.json': JSON.stringify({ databases: { main: { url } }, relations }, null, 2) })
  return join(dir, 'refguard.config.json')
}

describe('refguard import prisma', () => {
  it('adds the relations to the config once: a second import adds none and leaves the file as it was', async () => {
    const file = configFile('postgres://app@127.0.0.1:5432/shop')
    const first = await runCli(['import', 'prisma', SHOP, '--config', file])
    expect(first.code).toBe(0)
    expect(first.stdout).toContain(`${file}: ${SHOP_RELATIONS} added, 0 already there.`)
    expect(first.stdout).toContain(
      'order_lines_shop_id_order_number_fkey: order_lines(shop_id, order_number) -> orders(shop_id, number) on delete cascade on update restrict',
    )
    const config = await loadConfig(file)
    expect(config.relations).toHaveLength(SHOP_RELATIONS)
    const written = readFileSync(file, 'utf8')

    const second = await runCli(['import', 'prisma', SHOP, '--config', file, '--json'])
    expect(second.code).toBe(0)
    const output = JSON.parse(second.stdout)
    expect(output).toMatchObject({ ok: true, provider: 'mysql', relationMode: 'prisma', written: { added: [] } })
    expect(output.written.alreadyPresent).toHaveLength(SHOP_RELATIONS)
    expect(readFileSync(file, 'utf8')).toBe(written)
  })

  it('writes into an .mjs config, and --dry-run changes nothing', async () => {
    const dir = writeTempFiles({
      'refguard.config.mjs':
        "export default {\n  databases: { main: 'pglite://memory' },\n  relations: [\n    'posts(author_id) -> users(id)',\n  ],\n}\n",
    })
    const file = join(dir, 'refguard.config.mjs')
    const before = readFileSync(file, 'utf8')
    const dry = await runCli(['import', 'prisma', SHOP, '--dry-run'], { cwd: dir })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('_Follows_B_fkey: _Follows(B) -> users(id) on delete cascade on update cascade')
    expect(readFileSync(file, 'utf8')).toBe(before)

    const imported = await runCli(['import', 'prisma', SHOP], { cwd: dir })
    expect(imported.code).toBe(0)
    // posts(author_id) -> users(id) was there already (as posts_author_fk in the schema): not added twice.
    expect(imported.stdout).toContain(`${file}: ${SHOP_RELATIONS - 1} added, 1 already there.`)
    expect(
      readFileSync(file, 'utf8').startsWith(
        "export default {\n  databases: { main: 'pglite://memory' },\n  relations: [\n    'posts(author_id) -> users(id)',\n",
      ),
    ).toBe(true)
    expect((await loadConfig(file)).relations).toHaveLength(SHOP_RELATIONS)
  })

  it('prints a whole config when there is none', async () => {
    const dir = writeTempFiles({})
    const result = await runCli(['import', 'prisma', SHOP], { cwd: dir })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('no refguard.config.* found: save the config above as refguard.config.json')
    const config = JSON.parse(result.stdout)
    expect(config.databases).toEqual({ main: { url: '${DATABASE_URL}' } })
    expect(config.relations).toHaveLength(SHOP_RELATIONS)
  })

  it('exits 2 on a malformed schema, naming file, line and column', async () => {
    const dir = writeTempFiles({})
    const line = readFileSync(MALFORMED, 'utf8').split('\n')[12] as string
    const result = await runCli(['import', 'prisma', MALFORMED], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(
      `refguard: ${MALFORMED}:13:${line.length + 1}: expected ')' but found the end of the line in a field attribute`,
    )
    expect(result.stderr).toContain('fix: correct the schema at that place')
    const json = await runCli(['import', 'prisma', MALFORMED, '--json'], { cwd: dir })
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { type: 'usage' } })
    const unknown = await runCli(['import', 'sequelize', SHOP], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('Allowed choices are prisma')
  })
})

/** The tables Prisma Migrate creates for shop.prisma, built with Kysely so that names are quoted alike everywhere. */
async function createShopTables(db: Kysely<any>): Promise<void> {
  const table = (name: string, columns: Array<[string, 'integer' | 'varchar(50)']>, primaryKey: string[]) =>
    columns
      .reduce((builder, [column, type]) => builder.addColumn(column, type), db.schema.createTable(name))
      .addPrimaryKeyConstraint(`${name}_pkey`, primaryKey as never)
      .execute()
  await table(
    'users',
    [
      ['id', 'integer'],
      ['email', 'varchar(50)'],
    ],
    ['id'],
  )
  await table(
    'profiles',
    [
      ['id', 'integer'],
      ['user_id', 'integer'],
    ],
    ['id'],
  )
  await table(
    'posts',
    [
      ['id', 'integer'],
      ['author_id', 'integer'],
      ['editor_id', 'integer'],
      ['category_id', 'integer'],
    ],
    ['id'],
  )
  await table('Group', [['id', 'varchar(50)']], ['id'])
  await table('tags', [['id', 'integer']], ['id'])
  await table(
    'categories',
    [
      ['id', 'integer'],
      ['parent_id', 'integer'],
    ],
    ['id'],
  )
  await table(
    'orders',
    [
      ['shop_id', 'integer'],
      ['number', 'integer'],
    ],
    ['shop_id', 'number'],
  )
  await table(
    'order_lines',
    [
      ['id', 'integer'],
      ['shop_id', 'integer'],
      ['order_number', 'integer'],
    ],
    ['id'],
  )
  await table(
    '_PostToTag',
    [
      ['A', 'integer'],
      ['B', 'integer'],
    ],
    ['A', 'B'],
  )
  await table(
    '_GroupToUser',
    [
      ['A', 'varchar(50)'],
      ['B', 'integer'],
    ],
    ['A', 'B'],
  )
  await table(
    '_Follows',
    [
      ['A', 'integer'],
      ['B', 'integer'],
    ],
    ['A', 'B'],
  )
}

/** Rows with one orphan in each relation named in ORPHANS, and none elsewhere. */
async function insertShopRows(db: Kysely<any>): Promise<void> {
  await db
    .insertInto('users')
    .values([
      { id: 1, email: 'a@x' },
      { id: 2, email: 'b@x' },
    ])
    .execute()
  await db
    .insertInto('profiles')
    .values([
      { id: 1, user_id: 1 },
      { id: 2, user_id: 99 },
    ])
    .execute()
  await db
    .insertInto('categories')
    .values([
      { id: 1, parent_id: null },
      { id: 2, parent_id: 1 },
      { id: 3, parent_id: 42 },
    ])
    .execute()
  await db
    .insertInto('posts')
    .values([
      { id: 1, author_id: 1, editor_id: null, category_id: 2 },
      { id: 2, author_id: 2, editor_id: 7, category_id: 5 },
    ])
    .execute()
  await db
    .insertInto('tags')
    .values([{ id: 1 }])
    .execute()
  await db
    .insertInto('Group')
    .values([{ id: 'g' }])
    .execute()
  await db
    .insertInto('_PostToTag')
    .values([
      { A: 1, B: 1 },
      { A: 3, B: 1 },
    ])
    .execute()
  await db
    .insertInto('_GroupToUser')
    .values([
      { A: 'g', B: 1 },
      { A: 'h', B: 2 },
    ])
    .execute()
  await db
    .insertInto('_Follows')
    .values([
      { A: 1, B: 2 },
      { A: 2, B: 3 },
    ])
    .execute()
  await db
    .insertInto('orders')
    .values([{ shop_id: 1, number: 1 }])
    .execute()
  await db
    .insertInto('order_lines')
    .values([
      { id: 1, shop_id: 1, order_number: 1 },
      { id: 2, shop_id: 1, order_number: 2 },
    ])
    .execute()
}

const ORPHANS: Record<string, number> = {
  profiles_user_id_fkey: 1,
  posts_editor_id_fkey: 1,
  posts_category_id_fkey: 1,
  _PostToTag_A_fkey: 1,
  _GroupToUser_A_fkey: 1,
  _Follows_B_fkey: 1,
  categories_parent_id_fkey: 1,
  order_lines_shop_id_order_number_fkey: 1,
}

for (const dialect of DIALECTS) {
  describe(`imported Prisma relations audit the tables Prisma made, on ${dialect}`, () => {
    let test: TestDatabase

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'prisma')
      await createShopTables(test.db)
      await insertShopRows(test.db)
      await test.disconnect()
    })
    afterAll(() => test?.drop())

    it('finds every table and column the schema maps to, and each injected orphan', async () => {
      const file = configFile(test.url)
      expect((await runCli(['import', 'prisma', SHOP, '--config', file])).code).toBe(0)
      const check = await runCli(['check', '--json', '--config', file])
      expect(check.code, check.stderr).toBe(1)
      const report = JSON.parse(check.stdout)
      expect(report.relations).toHaveLength(SHOP_RELATIONS)
      const orphans = Object.fromEntries(
        report.relations.map((relation: { name: string; orphans: number }) => [relation.name, relation.orphans]),
      )
      const expected = Object.fromEntries(
        report.relations.map((relation: { name: string }) => [relation.name, ORPHANS[relation.name] ?? 0]),
      )
      expect(orphans).toEqual(expected)
      expect(report.findings.filter((finding: { kind: string }) => finding.kind.startsWith('unknown'))).toEqual([])
    })
  })
}
