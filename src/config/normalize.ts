import type { z } from 'zod'
import { defaultRelationName, type Relation } from '../model/relation.js'
import { didYouMean } from '../util/suggest.js'
import { ConfigError } from './errors.js'
import { configSchema, KNOWN_KEYS, relationSchema } from './schema.js'
import { parseRelationShorthand, ShorthandError } from './shorthand.js'
import type { RelationDefaults, RelationInput } from './types.js'

/** A validated config with defaults applied: what the rest of refguard works from. */
export interface ResolvedConfig {
  /** The file the config came from, if any. */
  file?: string
  /** Directory relative `pglite://` paths are resolved against. */
  baseDir: string
  databases: Record<string, { url: string }>
  /** The database a relation side uses when it names none: `main` if present, else the first one. */
  defaultDatabase: string
  relations: Relation[]
  softDelete: Record<string, { column: string; keepParent: boolean }>
}

/** Renders a zod path as `relations[2].child.columns`. */
function formatPath(path: PropertyKey[], prefix = ''): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    prefix,
  )
}

function knownKeysAt(path: PropertyKey[]): string[] {
  const last = path[path.length - 1]
  if (path.length === 0) return KNOWN_KEYS[''] ?? []
  if (last === 'child' || last === 'parent') return KNOWN_KEYS.side ?? []
  if (last === 'defaults') return KNOWN_KEYS.defaults ?? []
  return KNOWN_KEYS.relation ?? []
}

/** The fix to suggest for a zod issue that is not an unknown key. */
function fixFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `use one of: ${issue.values.map(String).join(', ')}`
  if (issue.code === 'invalid_type' && issue.input === undefined)
    return `add "${String(issue.path[issue.path.length - 1])}" (${issue.expected})`
  if (issue.code === 'invalid_type') return `give a value of type ${issue.expected}`
  return 'see "Configuration" in the README for the accepted form'
}

function zodFailure(error: z.ZodError, file: string | undefined, prefix = ''): ConfigError {
  // An unknown key is usually a typo, and the cause of any "missing key" issue beside it: report it first.
  const issue = (error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? error.issues[0]) as z.core.$ZodIssue
  const path = formatPath(issue.path, prefix)
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string
    const known = knownKeysAt(issue.path)
    return new ConfigError(`unknown key "${key}"${didYouMean(key, known)}`, {
      file,
      path: path || undefined,
      fix: `remove it or use one of: ${known.join(', ')}`,
    })
  }
  return new ConfigError(issue.message, { file, path: path || '(top level)', fix: fixFor(issue) })
}

function parseRelation(raw: unknown, index: number, file: string | undefined): RelationInput {
  const path = `relations[${index}]`
  if (typeof raw === 'string') {
    try {
      return parseRelationShorthand(raw)
    } catch (error) {
      if (!(error instanceof ShorthandError)) throw error
      throw new ConfigError(error.message, {
        file,
        path,
        fix: "write it as child(col) -> parent(col) [on delete cascade|restrict|no action|set null|set default] [on update ...] [match simple|full] [mode inline|queued|scheduled] [where col = 'value']",
      })
    }
  }
  const parsed = relationSchema.safeParse(raw)
  if (!parsed.success) throw zodFailure(parsed.error, file, path)
  return parsed.data as RelationInput
}

function resolveRelation(
  input: RelationInput,
  index: number,
  defaults: RelationDefaults,
  context: { file?: string; databases: string[]; defaultDatabase: string },
): Relation {
  const path = `relations[${index}]`
  const fail = (problem: string, fix: string): never => {
    throw new ConfigError(problem, { file: context.file, path, fix })
  }
  const childDatabase = input.child.database ?? context.defaultDatabase
  const parentDatabase = input.parent.database ?? childDatabase
  for (const [side, database] of [
    ['child', childDatabase],
    ['parent', parentDatabase],
  ] as const) {
    if (!context.databases.includes(database)) {
      throw new ConfigError(
        `relation "${input.name ?? defaultRelationName(input.child)}": its ${side} table is in unknown database "${database}"${didYouMean(database, context.databases)}`,
        {
          file: context.file,
          path: `${path}.${side}.database`,
          fix: `add it under "databases" or use one of: ${context.databases.join(', ')}`,
        },
      )
    }
  }
  if (input.child.columns.length !== input.parent.columns.length) {
    fail(
      `child has ${input.child.columns.length} column(s) (${input.child.columns.join(', ')}) but parent has ${input.parent.columns.length} (${input.parent.columns.join(', ')})`,
      'list the same number of columns on both sides, in matching order',
    )
  }
  const onDelete = input.onDelete ?? defaults.onDelete ?? 'no action'
  const setColumns = input.onDeleteSetColumns
  if (setColumns) {
    if (onDelete !== 'set null' && onDelete !== 'set default') {
      fail('onDeleteSetColumns is only allowed with onDelete "set null" or "set default"', 'remove onDeleteSetColumns')
    }
    const unknown = setColumns.find((column) => !input.child.columns.includes(column))
    if (unknown) {
      fail(
        `onDeleteSetColumns names "${unknown}", which is not a child column of the relation`,
        `use a subset of: ${input.child.columns.join(', ')}`,
      )
    }
  }
  const deferrable = input.deferrable ?? defaults.deferrable ?? false
  const initiallyDeferred = input.initiallyDeferred ?? defaults.initiallyDeferred ?? false
  if (initiallyDeferred && !deferrable) fail('initiallyDeferred needs deferrable: true', 'set deferrable: true or drop initiallyDeferred')
  const relation: Relation = {
    name: input.name ?? defaultRelationName(input.child),
    child: { database: childDatabase, table: input.child.table, columns: [...input.child.columns] },
    parent: { database: parentDatabase, table: input.parent.table, columns: [...input.parent.columns] },
    onDelete,
    onUpdate: input.onUpdate ?? defaults.onUpdate ?? 'no action',
    match: input.match ?? defaults.match ?? 'simple',
    mode: input.mode ?? defaults.mode ?? 'inline',
    deferrable,
    initiallyDeferred,
  }
  if (input.child.schema) relation.child.schema = input.child.schema
  if (input.parent.schema) relation.parent.schema = input.parent.schema
  if (input.child.where && Object.keys(input.child.where).length > 0) relation.child.where = { ...input.child.where }
  if (setColumns) relation.onDeleteSetColumns = [...setColumns]
  return relation
}

/** The table a `softDelete` key names: `table`, or `schema.table`. */
export function softDeleteTable(key: string): { schema?: string; table: string } {
  const [first, second] = key.split('.') as [string, string | undefined]
  return second === undefined ? { table: first } : { schema: first, table: second }
}

/** Whether a `softDelete` key names the relation's parent table. */
function namesParent(key: string, relation: Relation): boolean {
  const { schema, table } = softDeleteTable(key)
  return table === relation.parent.table && (schema === undefined || schema === relation.parent.schema)
}

/**
 * Scheduled mode belongs to the parent table: a relation whose parent is soft-deleted runs scheduled (its
 * deletes become soft deletes, and the sweeper acts on the children), and scheduled needs a soft-delete column.
 */
function withScheduledMode(
  relation: Relation,
  explicitMode: RelationInput['mode'],
  softDeleted: string[],
  where: { file?: string; path: string },
): Relation {
  const key = softDeleted.find((candidate) => namesParent(candidate, relation))
  if (key && explicitMode && explicitMode !== 'scheduled') {
    throw new ConfigError(
      `relation "${relation.name}" has mode "${explicitMode}", but its parent table ${key} is soft-deleted (softDelete.${key}): deletes of ${key} are soft deletes, and the sweeper acts on their children`,
      {
        ...where,
        fix: `remove "mode" from the relation (it runs scheduled), or remove softDelete.${key}`,
      },
    )
  }
  if (key) return { ...relation, mode: 'scheduled' }
  if (relation.mode === 'scheduled') {
    throw new ConfigError(
      `relation "${relation.name}" is scheduled, but its parent table ${relation.parent.table} has no soft-delete column`,
      {
        ...where,
        fix: `add softDelete: { ${relation.parent.table}: { column: 'deleted_at' } } (a nullable timestamp, or a boolean flag), or use mode "inline" or "queued"`,
      },
    )
  }
  return relation
}

/** Validates a raw config object and applies defaults; throws ConfigError naming the path and the fix. */
export function resolveConfig(raw: unknown, options: { file?: string; baseDir?: string } = {}): ResolvedConfig {
  const { file } = options
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('the config must be an object with "databases" and "relations"', {
      file,
      fix: 'export default defineConfig({ databases: { main: { url: "pglite://memory" } }, relations: [] })',
    })
  }
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) throw zodFailure(parsed.error, file)
  const config = parsed.data
  const databases = Object.fromEntries(
    Object.entries(config.databases).map(([name, value]) => [name, { url: typeof value === 'string' ? value : value.url }]),
  )
  const names = Object.keys(databases)
  const defaultDatabase = names.includes('main') ? 'main' : (names[0] as string)
  const context = { file, databases: names, defaultDatabase }
  const inputs = config.relations.map((entry, index) => parseRelation(entry, index, file))
  const softDelete = Object.fromEntries(
    Object.entries(config.softDelete ?? {}).map(([table, value]) => [
      table,
      { column: value.column, keepParent: value.keepParent ?? false },
    ]),
  )
  const relations = inputs.map((input, index) => {
    const relation = resolveRelation(input, index, config.defaults ?? {}, context)
    return withScheduledMode(relation, input.mode, Object.keys(softDelete), { file, path: `relations[${index}]` })
  })
  const seen = new Map<string, number>()
  relations.forEach((relation, index) => {
    const earlier = seen.get(relation.name)
    if (earlier !== undefined) {
      throw new ConfigError(`relation name "${relation.name}" is already used by relations[${earlier}]`, {
        file,
        path: `relations[${index}]`,
        fix: 'give one of them a distinct "name" (or "constraint NAME" in the shorthand)',
      })
    }
    seen.set(relation.name, index)
  })
  const resolved: ResolvedConfig = { baseDir: options.baseDir ?? process.cwd(), databases, defaultDatabase, relations, softDelete }
  if (file) resolved.file = file
  return resolved
}
