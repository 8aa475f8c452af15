import { z } from 'zod'

const ACTIONS = ['cascade', 'restrict', 'no action', 'set null', 'set default'] as const

/** Accepts `'no action'`, `'NO ACTION'`, `'noAction'`, `'no_action'` and `'no-action'` alike. */
function canonicalAction(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const spaced = value
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase()
  return spaced.replace(/\s+/g, ' ')
}

const identifier = z.string().min(1, 'must not be empty')
const action = z.preprocess(canonicalAction, z.enum(ACTIONS))
const columns = z.preprocess(
  (value) => (typeof value === 'string' ? [value] : value),
  z.array(identifier).min(1, 'needs at least one column'),
)
const filterValue = z.union([z.string(), z.number(), z.boolean(), z.null()])

const side = z.strictObject({
  database: identifier.optional(),
  schema: identifier.optional(),
  table: identifier,
  columns,
})

const relationSettings = {
  onDelete: action.optional(),
  onUpdate: action.optional(),
  match: z.enum(['simple', 'full']).optional(),
  mode: z.enum(['inline', 'queued', 'scheduled']).optional(),
  deferrable: z.boolean().optional(),
  initiallyDeferred: z.boolean().optional(),
}

/** The long form of a relation. */
export const relationSchema = z.strictObject({
  name: identifier.optional(),
  child: side.extend({ where: z.record(z.string(), filterValue).optional() }),
  parent: side,
  onDeleteSetColumns: z.array(identifier).min(1).optional(),
  ...relationSettings,
})

/** The whole config file; relations may also be shorthand strings, parsed afterwards. */
export const configSchema = z.strictObject({
  databases: z
    .record(identifier, z.union([z.string().min(1), z.strictObject({ url: z.string().min(1) })]))
    .refine((value) => Object.keys(value).length > 0, 'needs at least one database, e.g. { main: { url: "pglite://memory" } }'),
  defaults: z.strictObject(relationSettings).optional(),
  relations: z.array(z.union([z.string(), z.unknown()])),
  softDelete: z.record(identifier, z.strictObject({ column: identifier, keepParent: z.boolean().optional() })).optional(),
})

/** The keys a config object may have at each level, for "did you mean" hints. */
export const KNOWN_KEYS: Record<string, string[]> = {
  '': Object.keys(configSchema.shape),
  relation: Object.keys(relationSchema.shape),
  side: ['database', 'schema', 'table', 'columns', 'where'],
  defaults: Object.keys(relationSettings),
}
