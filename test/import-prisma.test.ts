import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { RelationInput } from '../src/config/types.js'
import { PrismaSchemaError } from '../src/import/prisma/errors.js'
import { importPrismaSchema, relationsFromPrismaSource } from '../src/import/prisma/import.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/prisma/${name}`, import.meta.url))

function byName(relations: RelationInput[]): RelationInput[] {
  return [...relations].sort((a, b) => String(a.name).localeCompare(String(b.name)))
}

/** The 1-based line and column just past the end of the fixture's line `number` (where a missing token was expected). */
function endOfLine(file: string, number: number): string {
  const line = readFileSync(file, 'utf8').split('\n')[number - 1] as string
  return `${number}:${line.length + 1}`
}

/** Where `text` first starts in `source`, as `line:column`. */
function at(source: string, text: string): string {
  const lines = source.split('\n')
  const line = lines.findIndex((candidate) => candidate.includes(text))
  return `${line + 1}:${(lines[line] as string).indexOf(text) + 1}`
}

/** Where `text` starts in the fixture, as `line:column`. */
function positionOf(file: string, text: string): string {
  return at(readFileSync(file, 'utf8'), text)
}

async function failure(source: string): Promise<PrismaSchemaError> {
  const error = await relationsFromPrismaSource(source, 'schema.prisma').catch((caught: unknown) => caught)
  expect(error).toBeInstanceOf(PrismaSchemaError)
  return error as PrismaSchemaError
}

const HEADER = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'

describe('import prisma: relations from a schema.prisma', () => {
  it('reads 1-1, 1-n, implicit m-n, self-relations, composite keys, @map/@@map names and referential actions with Prisma defaults', async () => {
    const imported = await importPrismaSchema(fixture('shop.prisma'))
    expect(imported.provider).toBe('mysql')
    expect(imported.relationMode).toBe('prisma')
    expect(imported.notes).toEqual([])
    const expected: RelationInput[] = [
      // 1-1: the side with fields holds the key; onDelete given, onUpdate Prisma's default (Cascade).
      {
        name: 'profiles_user_id_fkey',
        child: { table: 'profiles', columns: ['user_id'] },
        parent: { table: 'users', columns: ['id'] },
        onDelete: 'cascade',
        onUpdate: 'cascade',
      },
      // 1-n, required: Restrict on delete by default; the constraint name from `map`.
      {
        name: 'posts_author_fk',
        child: { table: 'posts', columns: ['author_id'] },
        parent: { table: 'users', columns: ['id'] },
        onDelete: 'restrict',
        onUpdate: 'cascade',
      },
      // 1-n, optional and named ("EditedPosts"): SetNull on delete by default.
      {
        name: 'posts_editor_id_fkey',
        child: { table: 'posts', columns: ['editor_id'] },
        parent: { table: 'users', columns: ['id'] },
        onDelete: 'set null',
        onUpdate: 'cascade',
      },
      {
        name: 'posts_category_id_fkey',
        child: { table: 'posts', columns: ['category_id'] },
        parent: { table: 'categories', columns: ['id'] },
        onDelete: 'set null',
        onUpdate: 'no action',
      },
      // Implicit m-n: _PostToTag, A -> Post (sorts first), B -> Tag; both cascade.
      {
        name: '_PostToTag_A_fkey',
        child: { table: '_PostToTag', columns: ['A'] },
        parent: { table: 'posts', columns: ['id'] },
        onDelete: 'cascade',
        onUpdate: 'cascade',
      },
      {
        name: '_PostToTag_B_fkey',
        child: { table: '_PostToTag', columns: ['B'] },
        parent: { table: 'tags', columns: ['id'] },
        onDelete: 'cascade',
        onUpdate: 'cascade',
      },
      // Implicit m-n with a model without @@map: Group's table is "Group".
      {
        name: '_GroupToUser_A_fkey',
        child: { table: '_GroupToUser', columns: ['A'] },
        parent: { table: 'Group', columns: ['id'] },
        onDelete: 'cascade',
        onUpdate: 'cascade',
      },
      {
        name: '_GroupToUser_B_fkey',
        child: { table: '_GroupToUser', columns: ['B'] },
        parent: { table: 'users', columns: ['id'] },
        onDelete: 'cascade',
        onUpdate: 'cascade',
      },
      // Self m-n named "Follows": one join table, both columns referencing users.
      {
        name: '_Follows_A_fkey',
        child: { table: '_Follows', columns: ['A'] },
        parent: { table: 'users', columns: ['id'] },
        onDelete: 'cascade',
        onUpdate: 'cascade',
      },
      {
        name: '_Follows_B_fkey',
        child: { table: '_Follows', columns: ['B'] },
        parent: { table: 'users', columns: ['id'] },
        onDelete: 'cascade',
        onUpdate: 'cascade',
      },
      // Self 1-n.
      {
        name: 'categories_parent_id_fkey',
        child: { table: 'categories', columns: ['parent_id'] },
        parent: { table: 'categories', columns: ['id'] },
        onDelete: 'no action',
        onUpdate: 'no action',
      },
      // Composite key, columns in the order of `fields`/`references`.
      {
        name: 'order_lines_shop_id_order_number_fkey',
        child: { table: 'order_lines', columns: ['shop_id', 'order_number'] },
        parent: { table: 'orders', columns: ['shop_id', 'number'] },
        onDelete: 'cascade',
        onUpdate: 'restrict',
      },
    ]
    expect(byName(imported.relations)).toEqual(byName(expected))
  })

  it('puts @@schema tables in their schema, and an implicit join table in the schema of the model that sorts first', async () => {
    const imported = await importPrismaSchema(fixture('multi-schema.prisma'))
    expect(imported.relationMode).toBe('foreignKeys')
    expect(imported.notes[0]).toContain('refguard migrate to-soft')
    expect(byName(imported.relations)).toEqual(
      byName([
        {
          name: '_AccountToRole_A_fkey',
          child: { schema: 'auth', table: '_AccountToRole', columns: ['A'] },
          parent: { schema: 'auth', table: 'accounts', columns: ['id'] },
          onDelete: 'cascade',
          onUpdate: 'cascade',
        },
        {
          name: '_AccountToRole_B_fkey',
          child: { schema: 'auth', table: '_AccountToRole', columns: ['B'] },
          parent: { schema: 'auth', table: 'roles', columns: ['id'] },
          onDelete: 'cascade',
          onUpdate: 'cascade',
        },
        {
          name: 'orders_account_id_fkey',
          child: { schema: 'sales', table: 'orders', columns: ['account_id'] },
          parent: { schema: 'auth', table: 'accounts', columns: ['id'] },
          onDelete: 'restrict',
          onUpdate: 'cascade',
        },
      ]),
    )
  })

  it('takes @map and @@map in their named form, and the relation name as `name:`', async () => {
    const { relations } = await relationsFromPrismaSource(
      `${HEADER}
model Node {
  id       Int    @id @map(name: "node_id")
  up       Node?  @relation(name: "Up", fields: [upId], references: [id], onDelete: Cascade)
  upId     Int?   @map(name: "up_node_id")
  down     Node[] @relation(name: "Up")
  @@map(name: "graph nodes")
}`,
      'schema.prisma',
    )
    expect(relations).toEqual([
      {
        name: 'graph nodes_up_node_id_fkey',
        child: { table: 'graph nodes', columns: ['up_node_id'] },
        parent: { table: 'graph nodes', columns: ['node_id'] },
        onDelete: 'cascade',
        onUpdate: 'cascade',
      },
    ])
  })

  it('reports a malformed schema with its file, line and column', async () => {
    const malformed = fixture('malformed.prisma')
    await expect(importPrismaSchema(malformed)).rejects.toThrow(
      `${malformed}:${endOfLine(malformed, 13)}: expected ')' but found the end of the line in a field attribute`,
    )
    const unterminated = fixture('unterminated.prisma')
    await expect(importPrismaSchema(unterminated)).rejects.toThrow(
      `${unterminated}:${positionOf(unterminated, '"users)')}: unterminated string: a string must close with " on the same line`,
    )
    const error = await failure(`${HEADER}model User {\n  id Int @id\n`)
    expect(error.position).toEqual({ line: 7, column: 1 })
    expect(error.message).toContain("expected '}' but found the end of the file")
    expect((await failure(`${HEADER}model User {\n  id Int @id # comment\n}`)).message).toContain(
      "schema.prisma:6:14: unexpected character '#'",
    )
  })

  it('names the place of a relation that makes no sense, and how to fix it', async () => {
    const unknownField = fixture('unknown-field.prisma')
    await expect(importPrismaSchema(unknownField)).rejects.toThrow(
      `${unknownField}:${positionOf(unknownField, '@relation(fields: [authorID]')}: @relation(fields: ...) on Post.author names "authorID", which model Post does not have`,
    )
    await expect(importPrismaSchema(unknownField)).rejects.toThrow('fix: use fields of Post: id, authorId')

    const countsSource = `${HEADER}model A {\n  id Int @id\n  b  B[]\n}\nmodel B {\n  id  Int @id\n  x   Int\n  a   A @relation(fields: [id, x], references: [id])\n}`
    const counts = await failure(countsSource)
    expect(counts.message).toContain(`schema.prisma:${at(countsSource, '@relation')}: @relation on B.a lists 2 field(s) but 1 reference(s)`)

    const action = await failure(
      `${HEADER}model A {\n  id Int @id\n  b  B[]\n}\nmodel B {\n  id  Int @id\n  aId Int\n  a   A @relation(fields: [aId], references: [id], onDelete: Explode)\n}`,
    )
    expect(action.message).toContain('unknown referential action onDelete: Explode')
    expect(action.message).toContain('fix: use one of: Cascade, Restrict, NoAction, SetNull, SetDefault')

    const noOppositeSource = `${HEADER}model A {\n  id Int @id\n  bs B[]\n}\nmodel B {\n  id Int @id\n}`
    const noOpposite = await failure(noOppositeSource)
    expect(noOpposite.message).toContain(
      `schema.prisma:${at(noOppositeSource, 'bs B[]')}: relation field A.bs has no opposite relation field on model B`,
    )

    const ambiguous = await failure(`${HEADER}model A {\n  id Int @id\n  bs B[]\n}\nmodel B {\n  id Int @id\n  a1 A[]\n  a2 A[]\n}`)
    expect(ambiguous.message).toContain('relation field A.bs is ambiguous: B has 2 fields it could pair with (a1, a2)')

    const compositeManyToMany = await failure(
      `${HEADER}model A {\n  x Int\n  y Int\n  bs B[]\n  @@id([x, y])\n}\nmodel B {\n  id Int @id\n  as A[]\n}`,
    )
    expect(compositeManyToMany.message).toContain('an implicit many-to-many relation needs a single-field @id on model A')

    const keyless = await failure(`${HEADER}model A {\n  id Int @id\n  b B?\n}\nmodel B {\n  id Int @id\n  a A\n}`)
    expect(keyless.message).toContain('one side of the relation between A.b and B.a must hold the key')

    const mongo = await failure('datasource db {\n  provider = "mongodb"\n  url = env("X")\n}\n')
    expect(mongo.message).toContain('the datasource is MongoDB')
  })

  it('says which file it could not read', async () => {
    await expect(importPrismaSchema('/nonexistent/schema.prisma')).rejects.toThrow('cannot read /nonexistent/schema.prisma: no such file')
  })
})
