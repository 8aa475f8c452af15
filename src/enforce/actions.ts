import { DeleteQueryNode, sql, TableNode, UpdateQueryNode, WhereNode } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import type { Relation } from '../model/relation.js'
import { castTypes, childFilter, columnRefs, keyMatch } from './checks.js'
import type { EnforcementContext } from './context.js'
import type { KeyTuple } from './keys.js'
import { andAll, type Sql } from './sql-parts.js'
import type { WriteTarget } from './target.js'
import type { WriteSpec } from './write-spec.js'

function childTarget(relation: Relation): WriteTarget {
  const { schema, table } = relation.child
  return {
    ...(schema ? { schema } : {}),
    table,
    alias: table,
    node: schema ? TableNode.createWithSchema(schema, table) : TableNode.create(table),
  }
}

/** The children of `keys`: `filter and (child cols) in (keys)`, and `only` (a queued job's batch of rows) if given. */
function childrenOf(context: EnforcementContext, relation: Relation, keys: KeyTuple[], only?: Sql): Sql {
  const alias = relation.child.table
  return andAll([
    childFilter(relation, alias),
    keyMatch(context, relation, 'child', columnRefs(alias, relation.child.columns), keys),
    ...(only ? [only] : []),
  ])
}

function generatedSpec(relation: Relation, kind: 'update' | 'delete', where: Sql, assignments: Map<string, Sql>): WriteSpec {
  const target = childTarget(relation)
  const whereNode = WhereNode.create(where.toOperationNode())
  return {
    kind,
    target,
    source: tableSql(relation.child),
    where,
    multiTable: false,
    assignments,
    statement: () => {
      if (kind === 'delete') return { ...DeleteQueryNode.create([target.node]), where: whereNode }
      const updates = [...assignments].map(([column, value]) => ({
        kind: 'ColumnUpdateNode' as const,
        column: { kind: 'ColumnNode' as const, column: { kind: 'IdentifierNode' as const, name: column } },
        value: value.toOperationNode(),
      }))
      return { ...UpdateQueryNode.create([target.node]), updates, where: whereNode }
    },
  }
}

/** ON DELETE CASCADE: delete the children of the deleted keys (those of them `only` selects, if given). */
export function cascadeDelete(context: EnforcementContext, relation: Relation, keys: KeyTuple[], only?: Sql): WriteSpec {
  return generatedSpec(relation, 'delete', childrenOf(context, relation, keys, only), new Map())
}

/** ON UPDATE CASCADE: move the children of each old key to its new key, in one statement. */
export function cascadeUpdate(
  context: EnforcementContext,
  relation: Relation,
  changes: Array<{ before: KeyTuple; after: KeyTuple }>,
  only?: Sql,
): WriteSpec {
  const alias = relation.child.table
  const refs = columnRefs(alias, relation.child.columns)
  const types = castTypes(context, relation, 'child')
  const typed = (value: unknown, i: number) => (types?.[i] ? sql`cast(${value} as ${sql.raw(types[i] as string)})` : sql`${value}`)
  const assignments = new Map(
    relation.child.columns.map((column, i) => {
      const whens = changes.map(
        ({ before, after }) => sql`when ${andAll(refs.map((ref, j) => sql`${ref} = ${typed(before[j], j)}`))} then ${typed(after[i], i)}`,
      )
      return [column, sql`case ${sql.join(whens, sql` `)} else ${refs[i]} end`] as const
    }),
  )
  return generatedSpec(
    relation,
    'update',
    childrenOf(
      context,
      relation,
      changes.map((change) => change.before),
      only,
    ),
    assignments,
  )
}

/** ON DELETE/UPDATE SET NULL or SET DEFAULT: set the (listed) child columns of the children of `keys`. */
export function setChildren(
  context: EnforcementContext,
  relation: Relation,
  keys: KeyTuple[],
  to: 'null' | 'default',
  event: 'delete' | 'update',
  only?: Sql,
): WriteSpec {
  const columns = event === 'delete' && relation.onDeleteSetColumns ? relation.onDeleteSetColumns : relation.child.columns
  const newValue = (column: string): Sql => {
    if (to === 'null') return sql`null`
    const expression = context.facts.of(relation.child)?.defaults.get(column)
    return expression ? sql.raw(expression) : sql`null`
  }
  return generatedSpec(
    relation,
    'update',
    childrenOf(context, relation, keys, only),
    new Map(columns.map((column) => [column, newValue(column)])),
  )
}
