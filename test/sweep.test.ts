import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config/errors.js'
import { UnguardedWriteError } from '../src/enforce/errors.js'
import { createGuard, type Guard } from '../src/index.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'
import { integrityFailure } from './support/errors.js'

/*
 * Scheduled mode: a delete through guard.db marks the row (soft delete); soft-deleted parents are absent for
 * child writes; the sweeper applies the ON DELETE actions in batches, then deletes the parents for good.
 */

const TABLES = ['step_notes', 'steps', 'photos', 'covers', 'reviews', 'recipes', 'authors', 'labels', 'tagged', 'tags']

function schema(dialect: string): string {
  const flag = dialect === 'mariadb' ? 'tinyint(1)' : 'boolean'
  return `
create table authors (id int primary key, name varchar(20), removed_at timestamp null);
create table recipes (id int primary key, author_id int, name varchar(20), deleted_at timestamp null);
create table steps (id int primary key, recipe_id int, body varchar(20));
create table step_notes (id int primary key, step_id int);
create table photos (id int primary key, recipe_id int);
create table reviews (id int primary key, recipe_id int);
create table covers (id int primary key, recipe_id int default 999);
create table tags (id int primary key, hidden ${flag} default false);
create table tagged (id int primary key, tag_id int);
create table labels (id int primary key, tag_id int)`
}

const RELATIONS = [
  'recipes(author_id) -> authors(id) on delete cascade',
  'steps(recipe_id) -> recipes(id) on delete cascade',
  'step_notes(step_id) -> steps(id) on delete cascade',
  'photos(recipe_id) -> recipes(id) on delete set null',
  'reviews(recipe_id) -> recipes(id) on delete restrict',
  'covers(recipe_id) -> recipes(id) on delete set default',
  'tagged(tag_id) -> tags(id) on delete cascade',
  'labels(tag_id) -> tags(id) on delete no action',
]

const SOFT_DELETE = {
  authors: { column: 'removed_at' },
  recipes: { column: 'deleted_at' },
  tags: { column: 'hidden', keepParent: true },
}

/** Recipes 1-4 by authors 1-2; recipe r has 10 steps (ids r*100+1..), each step one note; recipe 3 has a review. */
function fixture(): string {
  const steps: string[] = []
  const notes: string[] = []
  for (let recipe = 1; recipe <= 4; recipe++) {
    for (let step = 1; step <= 10; step++) {
      steps.push(`(${recipe * 100 + step}, ${recipe}, 'step')`)
      notes.push(`(${recipe * 100 + step}, ${recipe * 100 + step})`)
    }
  }
  return `
insert into authors (id, name) values (1, 'Ann'), (2, 'Bo');
insert into recipes (id, author_id, name) values (1, 1, 'soup'), (2, 1, 'stew'), (3, 2, 'cake'), (4, 2, 'pie');
insert into steps values ${steps.join(', ')};
insert into step_notes values ${notes.join(', ')};
insert into photos values (1, 1), (2, 2), (3, 3);
insert into reviews values (1, 3);
insert into covers values (1, 4);
insert into tags (id) values (1), (2), (3);
insert into tagged values (1, 1), (2, 1), (3, 2);
insert into labels values (1, 3)`
}

for (const dialect of DIALECTS) {
  describe(`scheduled mode on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard
    const count = async (query: string) =>
      Number((await sql.raw<{ n: unknown }>(`select count(*) as n from ${query}`).execute(test.db)).rows[0]?.n)
    const ids = async (table: string) =>
      (await sql<{ id: unknown }>`select id from ${sql.id(table)} order by id`.execute(test.db)).rows.map((row) => Number(row.id))

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'sweep')
      await test.exec(schema(dialect))
      guard = await createGuard({ db: test.db, relations: RELATIONS, softDelete: SOFT_DELETE })
    })
    beforeEach(async () => {
      for (const table of TABLES) await sql`delete from ${sql.id(table)}`.execute(test.db)
      await test.exec(fixture())
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('relations to a soft-deleted table run scheduled', () => {
      const modes = Object.fromEntries(guard.relations.map((relation) => [relation.child.table, relation.mode]))
      expect(modes).toEqual({
        recipes: 'scheduled',
        steps: 'scheduled',
        step_notes: 'inline',
        photos: 'scheduled',
        reviews: 'scheduled',
        covers: 'scheduled',
        tagged: 'scheduled',
        labels: 'scheduled',
      })
    })

    it('a delete through guard.db marks the row instead, and leaves the children for the sweeper', async () => {
      const result = await guard.db.deleteFrom('recipes').where('id', '=', 1).executeTakeFirst()
      expect(Number(result.numDeletedRows)).toBe(1)
      expect(await ids('recipes')).toEqual([1, 2, 3, 4])
      expect(await count('recipes where deleted_at is not null')).toBe(1)
      expect(await count('steps where recipe_id = 1')).toBe(10)
      // Deleting it again finds no row, as a second DELETE would.
      const again = await guard.db.deleteFrom('recipes').where('id', '=', 1).executeTakeFirst()
      expect(Number(again.numDeletedRows)).toBe(0)
    })

    it('a soft-deleted parent is absent for child inserts and updates', async () => {
      await guard.db.deleteFrom('recipes').where('id', '=', 2).execute()
      const insert = await integrityFailure(guard.db.insertInto('steps').values({ id: 999, recipe_id: 2, body: 'late' }).execute())
      expect(insert).toMatchObject({ sqlState: '23503', relation: 'steps_recipe_id_fkey', key: { recipe_id: 2 } })
      await integrityFailure(guard.db.updateTable('steps').set({ recipe_id: 2 }).where('id', '=', 101).execute())
      await guard.db.deleteFrom('tags').where('id', '=', 2).execute()
      await integrityFailure(guard.db.insertInto('tagged').values({ id: 9, tag_id: 2 }).execute())
      expect(await count('steps where recipe_id = 2')).toBe(10)
    })

    it('RESTRICT and NO ACTION are checked when the row is marked', async () => {
      const restricted = await integrityFailure(guard.db.deleteFrom('recipes').where('id', '=', 3).execute())
      expect(restricted).toMatchObject({ relation: 'reviews_recipe_id_fkey', action: 'delete', key: { id: 3 } })
      await integrityFailure(guard.db.deleteFrom('tags').where('id', '=', 3).execute())
      expect(await count('recipes where deleted_at is not null')).toBe(0)
      await guard.db.deleteFrom('reviews').execute()
      await guard.db.deleteFrom('recipes').where('id', '=', 3).execute()
      expect(await count('recipes where deleted_at is not null')).toBe(1)
    })

    it('the sweeper cascades in batches (grandchildren inline), sets null, then deletes the parents', async () => {
      await guard.db.deleteFrom('recipes').where('id', 'in', [1, 2]).execute()
      const report = await guard.sweep({ batchSize: 3 })
      expect(report.ok).toBe(true)
      const byName = Object.fromEntries(report.relations.map((relation) => [relation.relation, relation]))
      expect(byName.steps_recipe_id_fkey).toMatchObject({ rows: 20, action: 'cascade' })
      expect(byName.steps_recipe_id_fkey?.batches).toBeGreaterThanOrEqual(7)
      expect(byName.photos_recipe_id_fkey).toMatchObject({ rows: 2, action: 'set null' })
      expect(report.tables.find((table) => table.table.endsWith('recipes'))).toMatchObject({ deleted: 2, remaining: 0 })
      expect(await ids('recipes')).toEqual([3, 4])
      expect(await count('steps')).toBe(20)
      expect(await count('steps where recipe_id in (1, 2)')).toBe(0)
      expect(await count('step_notes')).toBe(20)
      expect(await count('photos where recipe_id is null')).toBe(2)
      expect(await ids('photos')).toEqual([1, 2, 3])
      // Nothing is left to do: a second sweep changes nothing.
      const second = await guard.sweep()
      expect(second.relations.reduce((sum, relation) => sum + relation.rows, 0)).toBe(0)
      expect(second.tables.reduce((sum, table) => sum + table.deleted, 0)).toBe(0)
    })

    it('a cascade into another soft-deleted table is swept in the following rounds', async () => {
      await guard.db.deleteFrom('authors').where('id', '=', 1).execute()
      expect(await count('recipes where deleted_at is not null')).toBe(0)
      const report = await guard.sweep()
      expect(report.rounds).toBeGreaterThanOrEqual(2)
      expect(await ids('authors')).toEqual([2])
      expect(await ids('recipes')).toEqual([3, 4])
      expect(await count('steps where recipe_id in (1, 2)')).toBe(0)
      expect(await count('step_notes')).toBe(20)
    })

    it('keepParent keeps the marked row once its children are gone', async () => {
      await guard.db.deleteFrom('tags').where('id', '=', 1).execute()
      const report = await guard.sweep()
      expect(report.tables.find((table) => table.table.endsWith('tags'))).toMatchObject({ deleted: 0, remaining: 1, keepParent: true })
      expect(await ids('tags')).toEqual([1, 2, 3])
      expect(await ids('tagged')).toEqual([3])
    })

    it('a parent still referenced under RESTRICT (by a row written past refguard) stays; its other children are swept', async () => {
      await guard.db.deleteFrom('recipes').where('id', '=', 1).execute()
      await sql`insert into reviews values (2, 1)`.execute(test.db)
      const report = await guard.sweep()
      expect(report.ok).toBe(true)
      expect(await count('steps where recipe_id = 1')).toBe(0)
      expect(report.tables.find((table) => table.table.endsWith('recipes'))).toMatchObject({ deleted: 0, remaining: 1 })
      expect(await ids('recipes')).toEqual([1, 2, 3, 4])
    })

    it('a relation whose action fails is reported with the reason, the parent stays, and the other relations are swept', async () => {
      await guard.db.deleteFrom('recipes').where('id', '=', 4).execute()
      const report = await guard.sweep()
      expect(report.ok).toBe(false)
      const covers = report.relations.find((relation) => relation.relation === 'covers_recipe_id_fkey')
      expect(covers?.error).toContain('key (recipe_id)=(999) is not present in table "recipes"')
      expect(await count('steps where recipe_id = 4')).toBe(0)
      expect(await ids('recipes')).toEqual([1, 2, 3, 4])
      expect(await count('covers where recipe_id = 4')).toBe(1)
    })

    it('refuses a multi-table delete of a soft-deleted table', async () => {
      const error = await guard.db
        .deleteFrom('recipes')
        .using('authors')
        .whereRef('authors.id', '=', 'recipes.author_id')
        .where('authors.name', '=', 'Ann')
        .execute()
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UnguardedWriteError)
      expect((error as Error).message).toContain('recipes is soft-deleted (softDelete.recipes)')
    })

    it('refuses soft-delete settings that cannot work, naming each', async () => {
      await test.exec('create table strict_parents (id int primary key, gone_at timestamp not null default current_timestamp)')
      try {
        const error = await createGuard({
          db: test.db,
          relations: ['steps(recipe_id) -> recipes(id) on delete cascade', 'photos(recipe_id) -> strict_parents(id) on delete cascade'],
          softDelete: { recipes: { column: 'removed' }, strict_parents: { column: 'gone_at' }, nowhere: { column: 'x' } },
        }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ConfigError)
        const message = (error as Error).message
        expect(message).toContain('softDelete.recipes: column "removed" does not exist in recipes')
        expect(message).toContain('softDelete.strict_parents: column "gone_at" is NOT NULL')
        expect(message).toContain('softDelete.nowhere: table "nowhere" does not exist')
      } finally {
        await test.exec('drop table strict_parents')
      }
    })
  })
}

describe('scheduled mode in the config', () => {
  it('refuses a scheduled relation whose parent has no soft-delete column, and another mode for a soft-deleted parent', async () => {
    const base = { databases: { main: 'pglite://memory' } }
    const { resolveConfig } = await import('../src/config/normalize.js')
    expect(() => resolveConfig({ ...base, relations: ['steps(recipe_id) -> recipes(id) on delete cascade mode scheduled'] })).toThrow(
      /relation "steps_recipe_id_fkey" is scheduled, but its parent table recipes has no soft-delete column[\s\S]*fix: add softDelete: \{ recipes: \{ column: 'deleted_at' \} \}/,
    )
    expect(() =>
      resolveConfig({
        ...base,
        relations: ['steps(recipe_id) -> recipes(id) on delete cascade mode queued'],
        softDelete: { recipes: { column: 'deleted_at' } },
      }),
    ).toThrow(/has mode "queued", but its parent table recipes is soft-deleted \(softDelete\.recipes\)/)
  })
})
