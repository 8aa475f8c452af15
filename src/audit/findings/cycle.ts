import type { RelationGraph } from '../../model/graph.js'
import type { Finding } from '../finding.js'

/**
 * `cycle`: tables that cascade deletes into each other in a ring, so one delete can empty all of them (and
 * InnoDB stops cascades 15 levels deep). A table cascading into itself (a tree) is the normal way to delete subtrees.
 */
export function cycleFindings(graph: RelationGraph): Finding[] {
  return graph
    .cascadeCycles()
    .filter((cycle) => cycle.tables.length > 1)
    .map((cycle) => {
      const names = cycle.relations.map((relation) => relation.name).sort()
      const tables = [...new Set(cycle.relations.map((relation) => relation.child.table))].sort()
      return {
        kind: 'cycle' as const,
        severity: 'warning' as const,
        relation: names[0] as string,
        message: `relations ${names.map((name) => `"${name}"`).join(', ')} cascade deletes in a ring through ${tables.join(', ')}: deleting one row can delete rows of every table in the ring`,
        fix: `make one relation of the ring ON DELETE RESTRICT or SET NULL (e.g. relation "${names[0]}")`,
      }
    })
}
