import { runCheck } from '../audit/check.js'
import { keyTypeOf } from '../audit/column-types.js'
import type { Finding } from '../audit/finding.js'
import type { ResolvedConfig } from '../config/normalize.js'
import type { DatabaseSet } from '../db/database-set.js'
import { type ColumnInfo, findColumn, findTable, type SchemaInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import type { MigrationProblem } from './problem.js'

/** What the audit says about the relations that are to become constraints. */
export interface Preflight {
  /** Findings that a FOREIGN KEY cannot be declared over: orphans, sentinels, incompatible types, a parent key that is not unique, actions the engine refuses. */
  failures: MigrationProblem[]
  /** Findings that do not stop it (a missing child index is built by the migration instead). */
  warnings: Finding[]
  /** Relations whose child key has no index: the migration builds one. */
  missingIndex: Set<string>
  /** Child rows the audit read. */
  rowsChecked: number
}

/** Why InnoDB refuses a FOREIGN KEY between two columns the audit calls merely mismatched (a warning elsewhere). */
function mysqlRefusal(child: ColumnInfo, parent: ColumnInfo): string | undefined {
  const [a, b] = [keyTypeOf(child), keyTypeOf(parent)]
  if (a.kind === 'integer' && (a.bytes !== b.bytes || a.unsigned !== b.unsigned))
    return 'InnoDB needs integer keys of the same size and sign'
  if (a.kind === 'decimal' && (a.precision !== b.precision || a.scale !== b.scale)) return 'InnoDB needs the same precision and scale'
  if (a.kind === 'float' && a.bytes !== b.bytes) return 'InnoDB needs the same floating-point type'
  if (child.charset !== parent.charset || child.collation !== parent.collation) return 'InnoDB needs the same character set and collation'
  return undefined
}

function typeRefusal(finding: Finding, relation: Relation, schemas: Map<string, SchemaInfo>): string | undefined {
  const childTable = findTable(schemas.get(relation.child.database) as SchemaInfo, relation.child)
  const parentTable = findTable(schemas.get(relation.parent.database) as SchemaInfo, relation.parent)
  const index = relation.child.columns.indexOf(finding.column ?? '')
  const child = childTable && findColumn(childTable, finding.column ?? '')
  const parent = parentTable && findColumn(parentTable, relation.parent.columns[index] ?? '')
  return child && parent ? mysqlRefusal(child, parent) : undefined
}

function failureFix(finding: Finding): string {
  if (finding.kind !== 'orphans' && finding.kind !== 'sentinel') return finding.fix
  return `refguard repair --relation ${finding.relation} --apply (batched, archived, undoable), or: ${finding.fix}`
}

/**
 * Runs the audit (`refguard check`) on the relations and sorts its findings: errors stop the migration, and so
 * does a type mismatch that the engine refuses in a FOREIGN KEY even though the audit only warns about it.
 */
export async function runPreflight(
  config: ResolvedConfig,
  databases: DatabaseSet,
  relations: Relation[],
  schemas: Map<string, SchemaInfo>,
  family: (database: string) => 'postgres' | 'mysql',
): Promise<Preflight> {
  const preflight: Preflight = { failures: [], warnings: [], missingIndex: new Set(), rowsChecked: 0 }
  if (relations.length === 0) return preflight
  const report = await runCheck(config, databases, { relations: relations.map((relation) => relation.name) })
  preflight.rowsChecked = report.relations.reduce((sum, result) => sum + result.rowsChecked, 0)
  for (const result of report.relations.filter((candidate) => !candidate.complete)) {
    preflight.failures.push({
      kind: 'incomplete',
      relation: result.name,
      message: `relation "${result.name}" was not fully checked${result.scan.note ? `: ${result.scan.note}` : ''}`,
      fix: `run refguard check --relation ${result.name} and fix what it reports`,
    })
  }
  for (const finding of report.findings) {
    const relation = relations.find((candidate) => candidate.name === finding.relation)
    if (finding.kind === 'missing-index' && relation) {
      preflight.missingIndex.add(relation.name)
      continue
    }
    if (finding.kind === 'duplicate-constraint') continue
    const refusal =
      finding.kind === 'type-mismatch' && finding.severity === 'warning' && relation && family(relation.child.database) === 'mysql'
        ? typeRefusal(finding, relation, schemas)
        : undefined
    // PostgreSQL declares SET NULL / SET DEFAULT on a NOT NULL column (each such delete then fails); InnoDB refuses it.
    const accepted = finding.kind === 'nullability' && relation && family(relation.child.database) === 'postgres'
    if (relation && ((finding.severity === 'error' && !accepted) || refusal)) {
      preflight.failures.push({
        kind: finding.kind as MigrationProblem['kind'],
        relation: relation.name,
        message: refusal ? `${finding.message}; ${refusal}` : finding.message,
        fix: failureFix(finding),
        ...(finding.count !== undefined ? { count: finding.count } : {}),
      })
    } else preflight.warnings.push(finding)
  }
  return preflight
}
