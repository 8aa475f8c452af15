import type {
  Assignment,
  Attribute,
  BlockAttribute,
  CstNodeLocation,
  Datasource,
  Field,
  KeyValue,
  Model,
  Schema,
  Value,
  View,
} from '@mrleebo/prisma-ast'
import { PrismaSchemaError, type SourcePosition } from './errors.js'

/** The arguments of a `@relation(...)` attribute. */
export interface RelationAttribute {
  name?: string
  fields?: string[]
  references?: string[]
  onDelete?: string
  onUpdate?: string
  /** The FOREIGN KEY constraint name Prisma Migrate gives the relation. */
  map?: string
  position: SourcePosition
}

/** A field of a model, with its database column name (`@map`) resolved. */
export interface PrismaField {
  name: string
  column: string
  type: string
  list: boolean
  optional: boolean
  relation?: RelationAttribute
  position: SourcePosition
}

/** A model (or view) with its table name (`@@map`), schema (`@@schema`) and primary key. */
export interface PrismaModel {
  name: string
  table: string
  schema?: string
  fields: PrismaField[]
  /** The fields of `@id` or `@@id`. */
  id: string[]
  position: SourcePosition
}

/** What the relations of a schema.prisma depend on. */
export interface PrismaDocument {
  file: string
  provider?: string
  /** `prisma` when Prisma emulates relations (PlanetScale); `foreignKeys` (the default) when the database declares them. */
  relationMode: 'prisma' | 'foreignKeys'
  models: PrismaModel[]
}

const FIX = 'correct the schema at that place (`npx prisma validate` reports the same file), then run again'

function positionOf(location: CstNodeLocation | undefined): SourcePosition {
  return { line: location?.startLine ?? 1, column: location?.startColumn ?? 1 }
}

/** A Prisma string literal's text (`"user_id"` -> user_id); prisma-ast keeps the quotes. */
function text(value: Value | undefined): string | undefined {
  if (typeof value !== 'string') return undefined
  if (!/^".*"$/s.test(value)) return value
  try {
    return JSON.parse(value) as string
  } catch {
    return value.slice(1, -1)
  }
}

/** Field names in a list: `[a, b(sort: Desc)]` -> a, b. */
function names(value: Value | undefined): string[] | undefined {
  if (!value || typeof value !== 'object' || !('type' in value) || value.type !== 'array') return undefined
  return value.args.map((arg) => (typeof arg === 'object' && arg && 'type' in arg && arg.type === 'function' ? arg.name : String(arg)))
}

function isKeyValue(value: unknown): value is KeyValue {
  return typeof value === 'object' && value !== null && 'type' in value && (value as KeyValue).type === 'keyValue'
}

/** The attribute's arguments: named ones by name, positional ones by index (`0`, `1`, ...). */
function argumentsOf(attribute: Attribute | BlockAttribute): Map<string, Value> {
  const args = new Map<string, Value>()
  ;(attribute.args ?? []).forEach((arg, index) => {
    if (isKeyValue(arg.value)) args.set(arg.value.key, arg.value.value)
    else args.set(String(index), arg.value as Value)
  })
  return args
}

/** The value of an argument that may be given by name or as the first positional one (`@map("x")`, `@map(name: "x")`). */
function firstOrNamed(args: Map<string, Value>, name: string): Value | undefined {
  return args.get(name) ?? args.get('0')
}

function relationAttribute(attribute: Attribute, file: string): RelationAttribute {
  const args = argumentsOf(attribute)
  const position = positionOf(attribute.location)
  const list = (key: string) => {
    const value = args.get(key)
    if (value === undefined) return undefined
    const parsed = names(value)
    if (!parsed) throw new PrismaSchemaError(file, position, `@relation(${key}: ...) must be a list of field names, like ${key}: [id]`, FIX)
    return parsed
  }
  const relation: RelationAttribute = { position }
  const name = text(firstOrNamed(args, 'name'))
  if (name !== undefined) relation.name = name
  const fields = list('fields')
  const references = list('references')
  if (fields) relation.fields = fields
  if (references) relation.references = references
  for (const key of ['onDelete', 'onUpdate', 'map'] as const) {
    const value = args.get(key)
    if (value !== undefined) relation[key] = key === 'map' ? text(value) : String(value)
  }
  return relation
}

function field(node: Field, file: string): PrismaField {
  const attributes = (node.attributes ?? []).filter((attribute) => !attribute.group)
  const mapped = attributes.find((attribute) => attribute.name === 'map')
  const relation = attributes.find((attribute) => attribute.name === 'relation')
  const type = typeof node.fieldType === 'string' ? node.fieldType : node.fieldType.name
  return {
    name: node.name,
    column: (mapped && text(firstOrNamed(argumentsOf(mapped), 'name'))) ?? node.name,
    type,
    list: Boolean(node.array),
    optional: Boolean(node.optional),
    ...(relation ? { relation: relationAttribute(relation, file) } : {}),
    position: positionOf(node.location),
  }
}

function model(node: Model | View, file: string): PrismaModel {
  const fields = node.properties.filter((property): property is Field => property.type === 'field').map((entry) => field(entry, file))
  const blockAttributes = node.properties.filter((property): property is BlockAttribute => property.type === 'attribute' && !property.group)
  const blockValue = (name: string, key: string) => {
    const attribute = blockAttributes.find((candidate) => candidate.name === name)
    return attribute ? firstOrNamed(argumentsOf(attribute), key) : undefined
  }
  const fieldIds = (node.properties.filter((property) => property.type === 'field') as Field[])
    .filter((entry) => (entry.attributes ?? []).some((attribute) => attribute.name === 'id' && !attribute.group))
    .map((entry) => entry.name)
  const schema = text(blockValue('schema', 'name'))
  return {
    name: node.name,
    table: text(blockValue('map', 'name')) ?? node.name,
    ...(schema ? { schema } : {}),
    fields,
    id: fieldIds.length > 0 ? fieldIds : (names(blockValue('id', 'fields')) ?? []),
    position: positionOf(node.location),
  }
}

/** The models, table and column names, and datasource settings of a parsed schema. */
export function readPrismaDocument(schema: Schema, file: string): PrismaDocument {
  const datasource = schema.list.find((block): block is Datasource => block.type === 'datasource')
  const assignments = (datasource?.assignments ?? []).filter((entry): entry is Assignment => entry.type === 'assignment')
  const setting = (key: string) => text(assignments.find((entry) => entry.key === key)?.value)
  const provider = setting('provider')
  const mode = setting('relationMode') ?? setting('referentialIntegrity')
  return {
    file,
    ...(provider ? { provider } : {}),
    relationMode: mode === 'prisma' ? 'prisma' : 'foreignKeys',
    models: schema.list
      .filter((block): block is Model | View => block.type === 'model' || block.type === 'view')
      .map((block) => model(block, file)),
  }
}
