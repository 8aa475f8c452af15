/** One schema with a known number of every finding kind; portable between PostgreSQL, PGlite and MariaDB. */
export const AUDIT_FIXTURE = `
create table regions (id int primary key, name varchar(20));
create table customers (id int primary key, region_id int not null default 0, name varchar(20));
create index customers_region on customers (region_id);
create table orders (id int primary key, customer_id smallint);
create table order_items (order_id int not null, line int not null, primary key (order_id, line));
create table tags (code int);
create table notes (id int primary key, tag_code int);
create index notes_tag on notes (tag_code);
create table ring_a (id int primary key, b_id int);
create index ring_a_b on ring_a (b_id);
create table ring_b (id int primary key, a_id int);
create index ring_b_a on ring_b (a_id);
create table declared_parent (id int primary key);
create table declared_child (id int primary key, parent_id int);
create index declared_child_parent on declared_child (parent_id);
alter table declared_child add constraint declared_fk foreign key (parent_id) references declared_parent (id);
insert into regions values (1, 'north'), (2, 'south');
insert into customers values (1, 1, 'a'), (2, 0, 'b'), (3, 0, 'c'), (4, 0, 'd'), (5, 99, 'e'), (6, 2, 'f');
insert into orders values (1, 1), (2, 5), (3, 7), (4, null), (5, 8);
insert into order_items values (1, 1), (3, 1), (3, 2), (5, 1), (9, 1);
insert into tags values (1), (1), (2);
insert into notes values (1, 1), (2, 3);
insert into declared_parent values (1);
insert into declared_child values (1, 1);
`

/** The relations of the fixture, in config order (not fix order). */
export const AUDIT_RELATIONS = [
  'orders(customer_id) -> customers(id) on delete cascade',
  'order_items(order_id) -> orders(id) on delete cascade',
  'customers(region_id) -> regions(id) on delete set null',
  'notes(tag_code) -> tags(code)',
  'ring_a(b_id) -> ring_b(id) on delete cascade',
  'ring_b(a_id) -> ring_a(id) on delete cascade',
  'declared_child(parent_id) -> declared_parent(id)',
]

/** [relation, rows checked, orphans, fix-order level], in fix order, the same on every dialect. */
export const EXPECTED_RELATIONS: Array<[string, number, number, number]> = [
  ['ring_a_b_id_fkey', 0, 0, 0],
  ['ring_b_a_id_fkey', 0, 0, 0],
  ['customers_region_id_fkey', 6, 4, 1],
  ['declared_child_parent_id_fkey', 1, 0, 1],
  ['notes_tag_code_fkey', 2, 1, 1],
  ['orders_customer_id_fkey', 5, 2, 2],
  ['order_items_order_id_fkey', 5, 1, 3],
]

/** [kind, severity, relation, count], in report order, the same on every dialect. */
export const EXPECTED_FINDINGS: Array<[string, string, string, number | undefined]> = [
  ['nullability', 'error', 'customers_region_id_fkey', undefined],
  ['sentinel', 'error', 'customers_region_id_fkey', 3],
  ['nullability', 'warning', 'customers_region_id_fkey', undefined],
  ['orphans', 'error', 'customers_region_id_fkey', 1],
  ['duplicate-constraint', 'warning', 'declared_child_parent_id_fkey', undefined],
  ['parent-not-unique', 'error', 'notes_tag_code_fkey', undefined],
  ['orphans', 'error', 'notes_tag_code_fkey', 1],
  ['type-mismatch', 'warning', 'orders_customer_id_fkey', undefined],
  ['missing-index', 'warning', 'orders_customer_id_fkey', undefined],
  ['orphans', 'error', 'orders_customer_id_fkey', 2],
  ['orphans', 'error', 'order_items_order_id_fkey', 1],
  ['cycle', 'warning', 'ring_a_b_id_fkey', undefined],
]
