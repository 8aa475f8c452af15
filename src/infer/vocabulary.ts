/** Words that end a reference column and say "the key of": `customer_id`, `user_fk`, `order_no`, `country_code`. */
export const KEY_WORDS = new Set(['id', 'key', 'fk', 'ref', 'pk', 'no', 'nr', 'num', 'number', 'code', 'uuid', 'guid', 'oid'])

/** Key words a column may use for any surrogate key of the parent (`user_id` for a `users.uuid` key). */
export const ID_WORDS = new Set(['id', 'fk', 'ref', 'key', 'pk'])

/** Roles that point at another row of the same table, whatever it holds: `parent_id`, `next_id`, `replaced_by`. */
export const HIERARCHY_ROLES: readonly string[][] = [
  ['parent'],
  ['successor'],
  ['predecessor'],
  ['previous'],
  ['prev'],
  ['next'],
  ['root'],
  ['ancestor'],
  ['replaced', 'by'],
  ['duplicate', 'of'],
  ['merged', 'into'],
]

/** Roles one person plays for another: a reference to the same table when it holds people (`employees.reports_to`). */
export const PERSON_HIERARCHY_ROLES: readonly string[][] = [
  ['manager'],
  ['boss'],
  ['supervisor'],
  ['superior'],
  ['mentor'],
  ['sponsor'],
  ['reports', 'to'],
  ['report', 'to'],
  ['referred', 'by'],
  ['referrer'],
  ['invited', 'by'],
]

/** Roles that point at a person (`created_by`, `owner_id`, `assignee_id`), besides PERSON_HIERARCHY_ROLES: a table of people decides which. */
export const PERSON_ROLES: readonly string[][] = [
  ['created', 'by'],
  ['creator'],
  ['updated', 'by'],
  ['modified', 'by'],
  ['changed', 'by'],
  ['deleted', 'by'],
  ['approved', 'by'],
  ['approver'],
  ['reviewed', 'by'],
  ['reviewer'],
  ['owner'],
  ['author'],
  ['editor'],
  ['assignee'],
  ['assigned', 'to'],
  ['requester'],
  ['requested', 'by'],
  ['reporter'],
  ['reported', 'by'],
  ['sender'],
  ['recipient'],
  ['receiver'],
  ['head'],
  ['sales', 'rep'],
  ['salesperson'],
  ['agent'],
  ['handled', 'by'],
  ['signed', 'by'],
]

/** Words of tables that hold people: the parents a person role may point at. */
export const PERSON_ENTITIES = new Set(['user', 'person', 'employee', 'staff', 'member', 'account', 'admin', 'agent', 'operator', 'worker'])

/** Words that make a column a measure or a flag, never a reference: `user_count`, `order_total`, `is_admin`. */
export const MEASURE_WORDS = new Set([
  'count',
  'total',
  'sum',
  'amount',
  'qty',
  'quantity',
  'price',
  'cost',
  'size',
  'length',
  'width',
  'height',
  'weight',
  'level',
  'rank',
  'score',
  'rating',
  'year',
  'age',
  'days',
  'hours',
  'minutes',
  'seconds',
  'limit',
  'max',
  'min',
  'avg',
  'percent',
  'rate',
  'is',
  'has',
  'flag',
  'version',
  'position',
  'sort',
])

/** Words tables are sometimes prefixed or suffixed with that say nothing about what they hold: `tbl_customer`, `t_order`. */
export const TABLE_NOISE_WORDS = new Set(['tbl', 'tb', 'tab', 'table', 't'])
