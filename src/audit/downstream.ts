import { type Kysely, type RawBuilder, sql } from 'kysely'
import { columnSql, tableSql } from '../db/identifiers.js'
import type { RelationGraph } from '../model/graph.js'
import type { Relation } from '../model/relation.js'
import { childFromSql, orphanConditionSql } from './orphan-query.js'
import type { DownstreamEffect } from './report.js'

const DOWNSTREAM = 'd'

function downstreamFilterSql(relation: Relation): RawBuilder<unknown>[] {
  return Object.entries(relation.child.where ?? {}).map(([column, value]) =>
    value === null ? sql`${columnSql(DOWNSTREAM, column)} is null` : sql`${columnSql(DOWNSTREAM, column)} = ${value}`,
  )
}

/** Rows of `below` that reference a row of `relation`'s child table that is one of its orphans (sentinel rows excepted). */
function referencingOrphansSql(relation: Relation, below: Relation, sentinels: Array<string | number>): RawBuilder<{ n: unknown }> {
  const links = below.child.columns.map(
    (column, i) => sql`${columnSql('c', below.parent.columns[i] as string)} = ${columnSql(DOWNSTREAM, column)}`,
  )
  const keep =
    sentinels.length > 0
      ? [sql`${columnSql('c', relation.child.columns[0] as string)} not in (${sql.join(sentinels.map((value) => sql`${value}`))})`]
      : []
  const inner = sql.join([...links, orphanConditionSql(relation), ...keep], sql` and `)
  const where = sql.join([...downstreamFilterSql(below), sql`exists (select 1 from ${childFromSql(relation)} where ${inner})`], sql` and `)
  return sql`select count(*) as n from ${tableSql(below.child)} as ${sql.id(DOWNSTREAM)} where ${where}`
}

/**
 * What deleting `relation`'s orphans would orphan next: for each relation whose parent is this relation's child
 * table, the rows that reference an orphan. Nothing for SET NULL relations, whose fix deletes nothing.
 */
export async function downstreamEffects(
  db: Kysely<any>,
  relation: Relation,
  graph: RelationGraph,
  sentinels: Array<string | number>,
): Promise<DownstreamEffect[]> {
  if (relation.onDelete === 'set null') return []
  const below = graph.childrenOf(relation.child).filter((candidate) => candidate.child.database === relation.child.database)
  const effects: DownstreamEffect[] = []
  for (const next of below) {
    const { rows } = await referencingOrphansSql(relation, next, sentinels).execute(db)
    const count = Number(rows[0]?.n ?? 0)
    if (count > 0) effects.push({ relation: next.name, rows: count })
  }
  return effects
}
