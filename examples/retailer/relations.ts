/**
 * The retailer's rules, in refguard's SQL-like shorthand. Unnamed relations take PostgreSQL's default
 * constraint names: orders_customer_pk_fkey, order_lines_order_pk_fkey, order_lines_item_pk_fkey.
 */
export const RETAILER_RELATIONS = [
  'orders(customer_pk) -> customers(customer_pk) on delete cascade',
  'order_lines(order_pk) -> orders(order_pk) on delete cascade',
  'order_lines(item_pk) -> items(item_pk) on delete restrict',
]
