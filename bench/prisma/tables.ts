import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Database } from '../../src/index.js'
import { analyze, sequenceSql } from '../fixtures/parents-children.js'

/** Leaves under each mid of the cascade tree: a root with N descendants has N/100 mids and N·99/100 leaves. */
export const LEAVES_PER_MID = 99

async function dropTables(db: Kysely<any>, tables: string[]): Promise<void> {
  for (const table of tables) await sql`drop table if exists ${sql.id(table)}`.execute(db)
}

function autoIncrementId(database: Database) {
  return database.dialect.family === 'postgres' ? sql`id serial primary key` : sql`id int auto_increment primary key`
}

/**
 * Recreates `parents(id)` holding 1..parents and an empty `children(id, parent_id)` with an index on parent_id;
 * with `foreignKey`, children declares FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE.
 */
export async function createParentsAndChildren(database: Database, parents: number, foreignKey: boolean): Promise<void> {
  const { db } = database
  await dropTables(db, ['children', 'parents'])
  await sql`create table parents (id int primary key)`.execute(db)
  const constraint = foreignKey ? sql`, foreign key (parent_id) references parents (id) on delete cascade` : sql``
  await sql`create table children (${autoIncrementId(database)}, parent_id int not null${constraint})`.execute(db)
  await sql`create index children_parent_id on children (parent_id)`.execute(db)
  await sql`insert into parents (id) select seq from ${sequenceSql(database, parents)}`.execute(db)
  await analyze(database, ['parents', 'children'])
}

/**
 * Recreates roots → mids → leaves: root 1 has `descendants` (mids and their leaves, 100 per mid), root 2 one mid
 * of its own that must survive. With `foreignKeys`, mids and leaves declare ON DELETE CASCADE constraints.
 */
export async function createTree(database: Database, descendants: number, foreignKeys: boolean): Promise<void> {
  const { db } = database
  const mids = descendants / (LEAVES_PER_MID + 1)
  const cascade = (column: string, parent: string) =>
    foreignKeys ? sql`, foreign key (${sql.id(column)}) references ${sql.id(parent)} (id) on delete cascade` : sql``
  await dropTables(db, ['leaves', 'mids', 'roots'])
  await sql`create table roots (id int primary key)`.execute(db)
  await sql`create table mids (id int primary key, root_id int not null${cascade('root_id', 'roots')})`.execute(db)
  await sql`create index mids_root_id on mids (root_id)`.execute(db)
  await sql`create table leaves (id int primary key, mid_id int not null${cascade('mid_id', 'mids')})`.execute(db)
  await sql`create index leaves_mid_id on leaves (mid_id)`.execute(db)
  await sql`insert into roots (id) values (1), (2)`.execute(db)
  await sql`insert into mids (id, root_id) select seq, case when seq > ${sql.lit(mids)} then 2 else 1 end
    from ${sequenceSql(database, mids + 1)}`.execute(db)
  await sql`insert into leaves (id, mid_id) select seq, floor((seq - 1) / ${sql.lit(LEAVES_PER_MID)}) + 1
    from ${sequenceSql(database, (mids + 1) * LEAVES_PER_MID)}`.execute(db)
  await analyze(database, ['roots', 'mids', 'leaves'])
}

/**
 * Recreates `action_parents` (ids 0 and 1) and `action_children` (one child, id 1, of parent 1; parent_id is
 * nullable and defaults to 0); with `onDelete`, the child declares a FOREIGN KEY with that action.
 */
export async function createActionTables(database: Database, onDelete?: string): Promise<void> {
  const { db } = database
  await dropTables(db, ['action_children', 'action_parents'])
  await sql`create table action_parents (id int primary key)`.execute(db)
  const constraint = onDelete ? sql`, foreign key (parent_id) references action_parents (id) on delete ${sql.raw(onDelete)}` : sql``
  await sql`create table action_children (id int primary key, parent_id int null default 0${constraint})`.execute(db)
  await sql`create index action_children_parent_id on action_children (parent_id)`.execute(db)
  await sql`insert into action_parents (id) values (0), (1)`.execute(db)
  await sql`insert into action_children (id, parent_id) values (1, 1)`.execute(db)
}

/** How many rows `from` (a table and an optional condition, as SQL) holds. */
export async function countRows(db: Kysely<any>, from: RawBuilder<unknown>): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${from}`.execute(db)
  return Number(rows[0]?.n)
}

/** Children whose parent_id matches no parent. */
export function countOrphans(db: Kysely<any>): Promise<number> {
  return countRows(db, sql`children c where not exists (select 1 from parents p where p.id = c.parent_id)`)
}
