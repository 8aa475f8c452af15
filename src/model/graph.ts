import { type Relation, type TableRef, tableId } from './relation.js'

/** A set of tables that reach each other through relations, with the relations that close the loop. */
export interface Cycle {
  tables: string[]
  relations: Relation[]
}

/** The relations of a config seen as a graph of tables: parents, children, order, cycles. */
export class RelationGraph {
  private readonly byParent = new Map<string, Relation[]>()
  private readonly byChild = new Map<string, Relation[]>()
  private readonly tables = new Set<string>()

  constructor(readonly relations: readonly Relation[]) {
    for (const relation of relations) {
      const child = tableId(relation.child)
      const parent = tableId(relation.parent)
      this.tables.add(child).add(parent)
      append(this.byParent, parent, relation)
      append(this.byChild, child, relation)
    }
  }

  /** Relations in which `table` is the parent: where its deletes and key updates must act. */
  childrenOf(table: TableRef): Relation[] {
    return this.byParent.get(tableId(table)) ?? []
  }

  /** Relations in which `table` is the child: what its inserts and updates must check. */
  parentsOf(table: TableRef): Relation[] {
    return this.byChild.get(tableId(table)) ?? []
  }

  /** Every table id that appears in a relation. */
  tableIds(): string[] {
    return [...this.tables]
  }

  /**
   * Levels of table ids, parents before children: the order in which to fix data (a parent's orphans
   * first, since removing them can orphan its children). A level holds the tables whose parents all sit
   * in earlier levels; tables that form a cycle share one level.
   */
  parentFirstLevels(): string[][] {
    const components = this.stronglyConnected()
    const componentOf = new Map<string, number>()
    components.forEach((members, index) => {
      for (const member of members) componentOf.set(member, index)
    })
    const incoming = components.map(() => new Set<number>())
    for (const relation of this.relations) {
      const from = componentOf.get(tableId(relation.parent)) as number
      const to = componentOf.get(tableId(relation.child)) as number
      if (from !== to) incoming[to]?.add(from)
    }
    const levels: string[][] = []
    const placed = new Set<number>()
    while (placed.size < components.length) {
      const ready = components
        .map((_, index) => index)
        .filter((index) => !placed.has(index) && [...(incoming[index] as Set<number>)].every((from) => placed.has(from)))
      for (const index of ready) placed.add(index)
      levels.push(ready.flatMap((index) => components[index] as string[]).sort())
    }
    return levels
  }

  /** Relations sorted so that a relation's parent table is fixed before its child table. */
  relationsParentFirst(): Relation[] {
    const rank = new Map<string, number>()
    this.parentFirstLevels().forEach((level, index) => {
      for (const id of level) rank.set(id, index)
    })
    return [...this.relations].sort(
      (a, b) => (rank.get(tableId(a.child)) as number) - (rank.get(tableId(b.child)) as number) || a.name.localeCompare(b.name),
    )
  }

  /** Cycles among tables (including self-references), each with the relations inside it. */
  cycles(): Cycle[] {
    return this.stronglyConnected()
      .map((members) => {
        const inside = new Set(members)
        const relations = this.relations.filter((r) => inside.has(tableId(r.child)) && inside.has(tableId(r.parent)))
        return { tables: [...members].sort(), relations }
      })
      .filter((cycle) => cycle.tables.length > 1 || cycle.relations.length > 0)
  }

  /** Cycles in which every relation cascades deletes: one delete can reach back to where it started. */
  cascadeCycles(): Cycle[] {
    return this.cycles().filter((cycle) => cycle.relations.every((relation) => relation.onDelete === 'cascade'))
  }

  /** Tarjan's algorithm over parent -> child edges. */
  private stronglyConnected(): string[][] {
    const index = new Map<string, number>()
    const lowLink = new Map<string, number>()
    const onStack = new Set<string>()
    const stack: string[] = []
    const components: string[][] = []
    let counter = 0
    const visit = (node: string): void => {
      index.set(node, counter)
      lowLink.set(node, counter)
      counter++
      stack.push(node)
      onStack.add(node)
      for (const relation of this.byParent.get(node) ?? []) {
        const next = tableId(relation.child)
        if (!index.has(next)) {
          visit(next)
          lowLink.set(node, Math.min(lowLink.get(node) as number, lowLink.get(next) as number))
        } else if (onStack.has(next)) {
          lowLink.set(node, Math.min(lowLink.get(node) as number, index.get(next) as number))
        }
      }
      if (lowLink.get(node) === index.get(node)) {
        const component: string[] = []
        let member: string
        do {
          member = stack.pop() as string
          onStack.delete(member)
          component.push(member)
        } while (member !== node)
        components.push(component)
      }
    }
    for (const table of [...this.tables].sort()) if (!index.has(table)) visit(table)
    return components
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}
