import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findColumn, findTable, hasLeadingIndex, hasUniqueKey, type SchemaInfo, type TableInfo } from '../src/db/schema-info.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

const FIXTURE = `
create table parents (id int primary key, code varchar(10) not null, region int, label varchar(20), unique (code, region));
create table kids (
  id int primary key,
  parent_id int not null default 0,
  parent_code varchar(10),
  parent_region int,
  small smallint,
  foreign key (parent_id) references parents (id) on delete cascade on update restrict,
  constraint kids_code_fk foreign key (parent_code, parent_region) references parents (code, region) on delete set null
);
create index kids_parent_lookup on kids (parent_id, id);
create view kid_view as select id, parent_id from kids
`

for (const dialect of DIALECTS) {
  describe(`introspection on ${dialect}`, () => {
    let test: TestDatabase
    let schema: SchemaInfo
    let parents: TableInfo
    let kids: TableInfo

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'introspect')
      await test.exec(FIXTURE)
      schema = await test.database.introspect()
      parents = findTable(schema, { table: 'parents' }) as TableInfo
      kids = findTable(schema, { table: 'kids' }) as TableInfo
    })
    afterAll(() => test?.drop())

    it('lists tables and views in the default schema', () => {
      expect(schema.defaultSchema).toBe(dialect === 'mariadb' ? new URL(test.url).pathname.slice(1) : 'public')
      expect(schema.tables.map((table) => [table.name, table.kind]).sort()).toEqual([
        ['kid_view', 'view'],
        ['kids', 'table'],
        ['parents', 'table'],
      ])
    })

    it('reads columns with type, nullability and default', () => {
      expect(kids.columns.map((column) => column.name)).toEqual(['id', 'parent_id', 'parent_code', 'parent_region', 'small'])
      const parentId = findColumn(kids, 'parent_id')
      expect(parentId).toMatchObject({ nullable: false, baseType: dialect === 'mariadb' ? 'int' : 'int4' })
      expect(parentId?.default).toBe('0')
      expect(findColumn(kids, 'parent_code')).toMatchObject({ nullable: true, default: null })
      expect(findColumn(kids, 'parent_code')?.type).toMatch(/^(character varying|varchar)\(10\)$/)
      expect(findColumn(kids, 'small')?.baseType).toBe(dialect === 'mariadb' ? 'smallint' : 'int2')
      if (dialect === 'mariadb') expect(findColumn(kids, 'parent_code')?.charset).toBeTruthy()
    })

    it('reads primary keys and indexes with column order and uniqueness', () => {
      expect(parents.primaryKey).toEqual(['id'])
      expect(hasUniqueKey(parents, ['region', 'code'])).toBe(true)
      expect(hasUniqueKey(parents, ['code'])).toBe(false)
      expect(hasUniqueKey(parents, ['label'])).toBe(false)
      const lookup = kids.indexes.find((index) => index.name === 'kids_parent_lookup')
      expect(lookup).toMatchObject({ columns: ['parent_id', 'id'], unique: false, primary: false })
      expect(hasLeadingIndex(kids, ['parent_id'])).toBe(true)
      expect(hasLeadingIndex(kids, ['small'])).toBe(false)
    })

    it('reads declared foreign keys with columns and actions', () => {
      const byColumns = Object.fromEntries(kids.foreignKeys.map((fk) => [fk.columns.join(','), fk]))
      expect(byColumns.parent_id).toMatchObject({
        parent: { schema: schema.defaultSchema, table: 'parents', columns: ['id'] },
        onDelete: 'cascade',
        onUpdate: 'restrict',
        match: 'simple',
        deferrable: false,
      })
      expect(byColumns['parent_code,parent_region']).toMatchObject({
        name: 'kids_code_fk',
        parent: { table: 'parents', columns: ['code', 'region'] },
        onDelete: 'set null',
        onUpdate: dialect === 'mariadb' ? 'restrict' : 'no action',
      })
      expect(parents.foreignKeys).toEqual([])
    })
  })
}
