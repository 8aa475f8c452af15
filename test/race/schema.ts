import { type Kysely, sql } from 'kysely'
import type { TestDatabase } from '../support/databases.js'

/** Recreates parents(id, v) with ids 1..parentCount and an empty children(id, parent_id), no FK constraint. */
export async function createRaceTables(test: TestDatabase, parentCount: number): Promise<void> {
  const serial = test.dialect === 'mariadb' ? 'int auto_increment primary key' : 'serial primary key'
  await test.exec(`
    drop table if exists children;
    drop table if exists parents;
    create table parents (id int primary key, v int);
    create table children (id ${serial}, parent_id int not null);
    create index children_parent_id on children (parent_id);
  `)
  const parents = Array.from({ length: parentCount }, (_, index) => ({ id: index + 1, v: 0 }))
  await test.db.insertInto('parents').values(parents).execute()
}

/** Children whose parent_id matches no parent: the number every run must keep at zero. */
export async function countOrphans(db: Kysely<any>): Promise<number> {
  const { rows } = await sql<{ orphans: number | string }>`
    select count(*) as orphans from children c where not exists (select 1 from parents p where p.id = c.parent_id)
  `.execute(db)
  return Number(rows[0]?.orphans ?? 0)
}
