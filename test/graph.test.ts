import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../src/config/normalize.js'
import { RelationGraph } from '../src/model/graph.js'

function graph(...relations: string[]): RelationGraph {
  return new RelationGraph(resolveConfig({ databases: { main: 'pglite://memory' }, relations }).relations)
}

describe('RelationGraph', () => {
  const chain = graph(
    'order_items(order_id) -> orders(id) on delete cascade',
    'order_items(product_id) -> products(id)',
    'orders(user_id) -> users(id) on delete set null',
    'products(added_by) -> users(id) on delete set null',
  )

  it('knows the children and parents of a table', () => {
    expect(chain.childrenOf({ database: 'main', table: 'users' }).map((r) => r.name)).toEqual([
      'orders_user_id_fkey',
      'products_added_by_fkey',
    ])
    expect(chain.parentsOf({ database: 'main', table: 'order_items' }).map((r) => r.name)).toEqual([
      'order_items_order_id_fkey',
      'order_items_product_id_fkey',
    ])
    expect(chain.childrenOf({ database: 'main', table: 'order_items' })).toEqual([])
  })

  it('orders tables and relations parents first (users, then products and orders, then order items)', () => {
    expect(chain.parentFirstLevels()).toEqual([['main:users'], ['main:orders', 'main:products'], ['main:order_items']])
    expect(chain.relationsParentFirst().map((r) => r.name)).toEqual([
      'orders_user_id_fkey',
      'products_added_by_fkey',
      'order_items_order_id_fkey',
      'order_items_product_id_fkey',
    ])
    expect(chain.cycles()).toEqual([])
  })

  it('finds cycles and self-references, and which of them cascade', () => {
    const cyclic = graph(
      'employees(manager_id) -> employees(id) on delete cascade',
      'a(b_id) -> b(id) on delete cascade',
      'b(c_id) -> c(id) on delete cascade',
      'c(a_id) -> a(id) on delete cascade',
      'x(y_id) -> y(id) on delete cascade',
      'y(x_id) -> x(id) on delete restrict',
      'd(a_id) -> a(id)',
    )
    const cycles = cyclic.cycles().map((cycle) => cycle.tables)
    expect(cycles).toHaveLength(3)
    expect(cycles).toContainEqual(['main:employees'])
    expect(cycles).toContainEqual(['main:a', 'main:b', 'main:c'])
    expect(cycles).toContainEqual(['main:x', 'main:y'])
    expect(cyclic.cascadeCycles().map((cycle) => cycle.tables)).toEqual(
      expect.arrayContaining([['main:employees'], ['main:a', 'main:b', 'main:c']]),
    )
    expect(cyclic.cascadeCycles()).toHaveLength(2)
    const levels = cyclic.parentFirstLevels()
    const levelOf = (table: string) => levels.findIndex((level) => level.includes(table))
    expect(levelOf('main:a')).toBe(levelOf('main:c'))
    expect(levelOf('main:d')).toBeGreaterThan(levelOf('main:a'))
  })
})
