import type { ResolvedConfig } from '../config/normalize.js'
import type { DatabaseSet } from '../db/database-set.js'
import { findTable, hasUniqueKey, type SchemaInfo } from '../db/schema-info.js'
import { UsageError } from '../errors.js'
import { RelationGraph } from '../model/graph.js'
import { describeSide, type Relation } from '../model/relation.js'
import { schemasByDatabase, withSchemas } from '../model/resolve-schemas.js'
import { selectRelations } from '../model/select.js'
import { BLOCKING_KINDS, validateRelation } from '../model/validate.js'
import { SchemaMismatchError } from './errors.js'
import type { Finding } from './finding.js'
import { orphanFixSql } from './fix-sql.js'
import { orphanCountSql, orphanSampleSql } from './orphan-query.js'

/** The orphan count of one relation, as `check --json` prints it. */
export interface RelationResult {
  name: string
  child: string
  parent: string
  rowsChecked: number
  orphans: number
  samples: Record<string, unknown>[]
  ms: number
}

/** The result of `refguard check`: `ok` is false when any finding is an error. */
export interface CheckReport {
  ok: boolean
  relations: RelationResult[]
  findings: Finding[]
}

/** Options of a check run. */
export interface CheckOptions {
  /** Only these relations (by name); all when empty. */
  relations?: string[]
  /** How many orphaned keys to show per relation (default 5). */
  sample?: number
}

/** Introspects every database the relations touch, with the schemas they name. */
async function introspectAll(relations: Relation[], databases: DatabaseSet): Promise<Map<string, SchemaInfo>> {
  const entries = await Promise.all(
    [...schemasByDatabase(relations)].map(async ([name, schemas]) => {
      const database = await databases.get(name)
      return [name, await database.introspect(schemas)] as const
    }),
  )
  return new Map(entries)
}

function percent(part: number, whole: number): string {
  if (whole === 0) return '0%'
  const share = (100 * part) / whole
  return share < 0.01 ? '<0.01%' : `${share.toFixed(share < 1 ? 2 : 1)}%`
}

function orphanFinding(relation: Relation, asWritten: Relation, result: RelationResult, family: 'postgres' | 'mysql'): Finding {
  return {
    kind: 'orphans',
    severity: 'error',
    relation: relation.name,
    count: result.orphans,
    message: `${result.orphans} of ${result.rowsChecked} rows (${percent(result.orphans, result.rowsChecked)}) of ${result.child} reference no row of ${result.parent}`,
    fix: orphanFixSql(asWritten, family),
  }
}

/** Counts the orphans of `relation` (schemas resolved); reports name its sides as the config wrote them. */
async function countOrphans(
  relation: Relation,
  asWritten: Relation,
  databases: DatabaseSet,
  sample: number,
  parentUnique: boolean,
): Promise<RelationResult> {
  if (relation.child.database !== relation.parent.database) {
    throw new UsageError(
      `relation "${relation.name}" has its parent in database "${relation.parent.database}" and its child in "${relation.child.database}": cross-database checks are not supported yet`,
      `check it with --relation on the other relations, or keep both tables in one database`,
    )
  }
  const { db, dialect } = await databases.get(relation.child.database)
  const started = performance.now()
  const counts = await orphanCountSql(relation, parentUnique).execute(db)
  const row = counts.rows[0] as { rows_checked: unknown; orphans: unknown }
  const orphans = Number(row.orphans)
  const samples = orphans > 0 && sample > 0 ? (await orphanSampleSql(relation, sample, dialect.family).execute(db)).rows : []
  return {
    name: relation.name,
    child: describeSide(asWritten.child),
    parent: describeSide(asWritten.parent),
    rowsChecked: Number(row.rows_checked),
    orphans,
    samples,
    ms: Math.round(performance.now() - started),
  }
}

/** Validates the relations against the live schemas and counts orphans, one anti-join per relation. */
export async function runCheck(config: ResolvedConfig, databases: DatabaseSet, options: CheckOptions = {}): Promise<CheckReport> {
  const selected = selectRelations(config.relations, options.relations)
  const schemas = await introspectAll(selected, databases)
  const relations = new RelationGraph(selected.map((relation) => withSchemas(relation, schemas))).relationsParentFirst()
  const problems = relations.flatMap((relation) =>
    validateRelation(relation, schemas.get(relation.child.database) as SchemaInfo, schemas.get(relation.parent.database) as SchemaInfo),
  )
  const blocking = problems.filter((finding) => BLOCKING_KINDS.has(finding.kind))
  if (blocking.length > 0) throw new SchemaMismatchError(blocking)

  const sample = options.sample ?? 5
  const results: RelationResult[] = []
  const findings: Finding[] = [...problems]
  for (const relation of relations) {
    const asWritten = selected.find((candidate) => candidate.name === relation.name) as Relation
    const parentTable = findTable(schemas.get(relation.parent.database) as SchemaInfo, relation.parent)
    const parentUnique = parentTable !== undefined && hasUniqueKey(parentTable, relation.parent.columns)
    const result = await countOrphans(relation, asWritten, databases, sample, parentUnique)
    results.push(result)
    if (result.orphans > 0)
      findings.push(orphanFinding(relation, asWritten, result, (await databases.get(relation.child.database)).dialect.family))
  }
  return { ok: !findings.some((finding) => finding.severity === 'error'), relations: results, findings }
}
