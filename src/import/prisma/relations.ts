import type { RelationInput } from '../../config/types.js'
import type { ReferentialAction } from '../../model/relation.js'
import { PrismaSchemaError, type SourcePosition } from './errors.js'
import type { PrismaDocument, PrismaField, PrismaModel } from './schema-model.js'

const ACTIONS: Record<string, ReferentialAction> = {
  Cascade: 'cascade',
  Restrict: 'restrict',
  NoAction: 'no action',
  SetNull: 'set null',
  SetDefault: 'set default',
}

const FIX = 'correct the schema at that place (`npx prisma validate` reports the same file), then run again'

interface Context {
  document: PrismaDocument
  models: Map<string, PrismaModel>
}

function fail(context: Context, position: SourcePosition, problem: string, fix = FIX): never {
  throw new PrismaSchemaError(context.document.file, position, problem, fix)
}

function action(context: Context, field: PrismaField, key: 'onDelete' | 'onUpdate', fallback: ReferentialAction): ReferentialAction {
  const value = field.relation?.[key]
  if (value === undefined) return fallback
  return (
    ACTIONS[value] ??
    fail(
      context,
      (field.relation as { position: SourcePosition }).position,
      `unknown referential action ${key}: ${value}`,
      `use one of: ${Object.keys(ACTIONS).join(', ')}`,
    )
  )
}

/** The database columns of `fields` of a model, failing on a name the model does not have as a scalar field. */
function columnsOf(context: Context, model: PrismaModel, fields: string[], position: SourcePosition, what: string): string[] {
  return fields.map((name) => {
    const field = model.fields.find((candidate) => candidate.name === name)
    if (!field) {
      const known = model.fields.filter((candidate) => !context.models.has(candidate.type)).map((candidate) => candidate.name)
      fail(
        context,
        position,
        `${what} names "${name}", which model ${model.name} does not have`,
        `use fields of ${model.name}: ${known.join(', ')}`,
      )
    }
    if (context.models.has(field.type)) fail(context, position, `${what} names "${name}", a relation field: list scalar fields`)
    return field.column
  })
}

function side(model: PrismaModel, columns: string[]): RelationInput['parent'] {
  return { ...(model.schema ? { schema: model.schema } : {}), table: model.table, columns }
}

/** Prisma's relation name when the schema gives none: the two model names in order, `PostToUser`. */
function defaultRelationName(a: string, b: string): string {
  return a < b ? `${a}To${b}` : `${b}To${a}`
}

function relationNameOf(model: PrismaModel, field: PrismaField): string {
  return field.relation?.name ?? defaultRelationName(model.name, field.type)
}

/** The relation with `fields` and `references`: the model holding them is the child. Prisma's defaults: SET NULL or RESTRICT on delete (optional or required relation), CASCADE on update. */
function foreignKeyRelation(context: Context, model: PrismaModel, field: PrismaField): RelationInput {
  const relation = field.relation as NonNullable<PrismaField['relation']>
  const parent = context.models.get(field.type) as PrismaModel
  const fields = relation.fields as string[]
  if (!relation.references) fail(context, relation.position, `@relation on ${model.name}.${field.name} has fields but no references`)
  if (fields.length === 0 || fields.length !== relation.references.length) {
    fail(
      context,
      relation.position,
      `@relation on ${model.name}.${field.name} lists ${fields.length} field(s) but ${relation.references.length} reference(s)`,
      'list as many references as fields, in matching order',
    )
  }
  const childColumns = columnsOf(context, model, fields, relation.position, `@relation(fields: ...) on ${model.name}.${field.name}`)
  const parentColumns = columnsOf(
    context,
    parent,
    relation.references,
    relation.position,
    `@relation(references: ...) on ${model.name}.${field.name}`,
  )
  return {
    name: relation.map ?? `${model.table}_${childColumns.join('_')}_fkey`,
    child: side(model, childColumns),
    parent: side(parent, parentColumns),
    onDelete: action(context, field, 'onDelete', field.optional ? 'set null' : 'restrict'),
    onUpdate: action(context, field, 'onUpdate', 'cascade'),
  }
}

/** The relation field on the other model that pairs with `field` (same relation name), failing when there is none or several. */
function opposite(context: Context, model: PrismaModel, field: PrismaField): PrismaField {
  const other = context.models.get(field.type) as PrismaModel
  const name = relationNameOf(model, field)
  const candidates = other.fields.filter(
    (candidate) => candidate !== field && candidate.type === model.name && relationNameOf(other, candidate) === name,
  )
  if (candidates.length === 1) return candidates[0] as PrismaField
  const problem =
    candidates.length === 0
      ? `relation field ${model.name}.${field.name} has no opposite relation field on model ${other.name}`
      : `relation field ${model.name}.${field.name} is ambiguous: ${other.name} has ${candidates.length} fields it could pair with (${candidates.map((candidate) => candidate.name).join(', ')})`
  return fail(context, field.position, problem, `name both sides of the relation alike, e.g. @relation("${name}")`)
}

/** The single-column primary key an implicit many-to-many join table references. */
function idColumn(context: Context, model: PrismaModel, position: SourcePosition): string {
  if (model.id.length !== 1) {
    fail(
      context,
      position,
      `an implicit many-to-many relation needs a single-field @id on model ${model.name}`,
      'give it one, or write the join table as a model',
    )
  }
  return columnsOf(context, model, model.id, model.position, `@id of ${model.name}`)[0] as string
}

/**
 * An implicit many-to-many relation: Prisma's join table `_<RelationName>`, in the schema of the model whose name
 * sorts first, with column A referencing that model and B the other (both the same model in a self-relation); both CASCADE.
 */
function joinTableRelations(context: Context, model: PrismaModel, field: PrismaField): RelationInput[] {
  const other = context.models.get(field.type) as PrismaModel
  const [first, second] = [model, other].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) as [PrismaModel, PrismaModel]
  const table = `_${relationNameOf(model, field)}`
  const column = (name: 'A' | 'B', target: PrismaModel): RelationInput => ({
    name: `${table}_${name}_fkey`,
    child: { ...(first.schema ? { schema: first.schema } : {}), table, columns: [name] },
    parent: side(target, [idColumn(context, target, field.position)]),
    onDelete: 'cascade',
    onUpdate: 'cascade',
  })
  return [column('A', first), column('B', second)]
}

/** Every relation of a Prisma schema: `@relation(fields, references)` sides, and both FKs of each implicit many-to-many join table. */
export function relationsOfDocument(document: PrismaDocument): RelationInput[] {
  const context: Context = { document, models: new Map(document.models.map((model) => [model.name, model])) }
  const relations: RelationInput[] = []
  const joinTables = new Set<string>()
  for (const model of document.models) {
    for (const field of model.fields.filter((candidate) => context.models.has(candidate.type))) {
      if (field.relation?.fields) {
        relations.push(foreignKeyRelation(context, model, field))
        continue
      }
      if (field.relation?.references)
        fail(context, field.relation.position, `@relation on ${model.name}.${field.name} has references but no fields`)
      const other = opposite(context, model, field)
      if (other.relation?.fields) continue
      if (!field.list || !other.list) {
        const [a, b] = [field, other].map((entry) => `${entry === field ? model.name : field.type}.${entry.name}`)
        fail(
          context,
          field.position,
          `one side of the relation between ${a} and ${b} must hold the key: add @relation(fields: [...], references: [...]) to one of them`,
        )
      }
      const table = `_${relationNameOf(model, field)}`
      if (joinTables.has(table)) continue
      joinTables.add(table)
      relations.push(...joinTableRelations(context, model, field))
    }
  }
  return relations
}
