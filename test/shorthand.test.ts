import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../src/config/normalize.js'
import { parseRelationShorthand, ShorthandError } from '../src/config/shorthand.js'

const databases = { main: 'pglite://memory', billing: 'pglite://memory' }

function resolved(relation: unknown) {
  return resolveConfig({ databases, relations: [relation] }).relations[0]
}

function failure(source: string): ShorthandError {
  try {
    parseRelationShorthand(source)
  } catch (error) {
    if (error instanceof ShorthandError) return error
    throw error
  }
  throw new Error(`expected "${source}" to fail`)
}

describe('relation shorthand', () => {
  it('parses to the same relation as the long form', () => {
    const short = resolved('steps(recipe_id) -> recipes(id) on delete cascade on update restrict')
    const long = resolved({
      child: { table: 'steps', columns: ['recipe_id'] },
      parent: { table: 'recipes', columns: ['id'] },
      onDelete: 'cascade',
      onUpdate: 'restrict',
    })
    expect(short).toEqual(long)
    expect(short).toEqual({
      name: 'steps_recipe_id_fkey',
      child: { database: 'main', table: 'steps', columns: ['recipe_id'] },
      parent: { database: 'main', table: 'recipes', columns: ['id'] },
      onDelete: 'cascade',
      onUpdate: 'restrict',
      match: 'simple',
      mode: 'inline',
      deferrable: false,
      initiallyDeferred: false,
    })
  })

  it('reads every clause: name, schemas, database, composite keys, actions, match, mode, deferral, where', () => {
    const relation = parseRelationShorthand(
      "constraint lines_order sales.order_lines(order_id, line_no) -> billing:sales.orders(id, no) on delete set null (order_id) on update no action match full mode queued deferrable initially deferred where kind = 'x' and live = true and n = -2 and gone = null",
    )
    expect(relation).toEqual({
      name: 'lines_order',
      child: {
        schema: 'sales',
        table: 'order_lines',
        columns: ['order_id', 'line_no'],
        where: { kind: 'x', live: true, n: -2, gone: null },
      },
      parent: { database: 'billing', schema: 'sales', table: 'orders', columns: ['id', 'no'] },
      onDelete: 'set null',
      onDeleteSetColumns: ['order_id'],
      onUpdate: 'no action',
      match: 'full',
      mode: 'queued',
      deferrable: true,
      initiallyDeferred: true,
    })
  })

  it('accepts keywords in any case and every action', () => {
    for (const [text, action] of [
      ['CASCADE', 'cascade'],
      ['Restrict', 'restrict'],
      ['no action', 'no action'],
      ['SET NULL', 'set null'],
      ['set Default', 'set default'],
    ]) {
      expect(parseRelationShorthand(`a(x) -> b(y) ON DELETE ${text}`).onDelete).toBe(action)
    }
    expect(parseRelationShorthand('a(x) -> b(y) not deferrable').deferrable).toBe(false)
  })

  it('keeps quoted identifiers verbatim, quotes and semicolons included', () => {
    const relation = parseRelationShorthand('"we;ird"("a ""col") -> `my table`(id)')
    expect(relation.child).toEqual({ table: 'we;ird', columns: ['a "col'] })
    expect(relation.parent).toEqual({ table: 'my table', columns: ['id'] })
    expect(parseRelationShorthand('"drop table x;"(c) -> p(id)').child.table).toBe('drop table x;')
  })

  it.each([
    ['steps(recipe_id) recipes(id)', 18, 'expected "->" between child and parent'],
    ['steps(recipe_id) -> recipes(id) on remove cascade', 36, 'expected "delete" or "update", found "remove"'],
    ['steps(recipe_id) -> recipes(id) on delete explode', 43, 'expected "cascade" or "restrict" or "no" or "set", found "explode"'],
    ['steps(recipe_id -> recipes(id)', 17, 'expected ")" or "," in the column list, found "->"'],
    ['steps() -> recipes(id)', 7, 'expected a column name, found ")"'],
    ['steps(recipe_id) -> recipes(id) match partial', 39, 'expected "simple" or "full", found "partial"'],
    ['steps(recipe_id) -> recipes(id) cascade', 33, 'expected "on delete", "on update", "match"'],
    ["a(x) -> b(y) where t = 'unterminated", 24, "unterminated ' quote"],
    ['a(x) -> b(y) where t > 1', 22, 'expected "=" (the where filter only supports equality)'],
    ['a(x) -> b(y) on update set null (x)', 14, 'a column list is only allowed with ON DELETE'],
    ['a(x) -> b(y) on delete cascade on delete restrict', 32, '"on delete" given twice'],
    ['a.b.c.d(x) -> b(y)', 5, 'too many name parts'],
    ['a(x) -> b(y) #', 14, "unexpected character '#'"],
  ])('points at the column where %j fails', (source, column, problem) => {
    const error = failure(source)
    expect(error.column).toBe(column)
    expect(error.problem).toContain(problem)
    expect(error.message).toContain(`${source}\n  ${' '.repeat(column - 1)}^`)
  })
})
