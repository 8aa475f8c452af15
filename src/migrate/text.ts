import type { Finding } from '../audit/finding.js'
import type { RelationInput } from '../config/types.js'
import type { CoveredForeignKey } from './from-foreign-keys.js'
import type { MigrationProblem } from './problem.js'
import type { MigrationStatement } from './statement.js'
import type { ToHardPlan } from './to-hard.js'
import type { ToSoftPlan } from './to-soft.js'

/** `name: child(cols) -> parent(cols) on delete x on update y`, the way the migration lists a relation. */
export function describeRelationInput(relation: RelationInput): string {
  const side = (entry: RelationInput['child']) =>
    `${[entry.database, entry.schema, entry.table].filter(Boolean).join('.')}(${entry.columns.join(', ')})`
  const setColumns = relation.onDeleteSetColumns ? ` (${relation.onDeleteSetColumns.join(', ')})` : ''
  const extras = [
    relation.onDelete ? `on delete ${relation.onDelete}${setColumns}` : '',
    relation.onUpdate ? `on update ${relation.onUpdate}` : '',
    relation.match === 'full' ? 'match full' : '',
    relation.deferrable ? (relation.initiallyDeferred ? 'deferrable initially deferred' : 'deferrable') : '',
  ].filter(Boolean)
  return `${relation.name}: ${side(relation.child)} -> ${side(relation.parent)}${extras.length > 0 ? ` ${extras.join(' ')}` : ''}`
}

/** The statements as a script to review or paste into a migration tool: each with its lock note as a comment. */
export function formatStatements(statements: MigrationStatement[]): string {
  return statements.map((statement) => `${statement.sql};\n  -- ${statement.note}`).join('\n')
}

/** Problems with their fixes, one block each. */
export function formatProblems(problems: MigrationProblem[]): string {
  return problems
    .map((problem) => `  [${problem.kind}] ${problem.message}\n      fix: ${problem.fix.split('\n').join('\n           ')}`)
    .join('\n')
}

function formatCovered(covered: CoveredForeignKey[]): string[] {
  const differing = covered.filter((entry) => entry.differences.length > 0)
  if (covered.length === 0) return []
  const lines = [
    '',
    `${covered.length} constraint(s) of inheritance children need no relation of their own: refguard reads a table with its children, so the parent table's relation covers their rows.`,
  ]
  if (differing.length > 0) {
    lines.push(`${differing.length} of them acted differently from that relation, which now applies to their rows:`)
    for (const entry of differing)
      lines.push(`  ${entry.name} on ${entry.table} -> relation "${entry.relation}": ${entry.differences.join('; ')}`)
  }
  return lines
}

/** The text report of `migrate to-soft`. */
export function formatToSoft(
  plan: ToSoftPlan,
  written: { file: string; added: RelationInput[]; alreadyPresent: number } | undefined,
  applied: boolean,
): string {
  if (plan.problems.length > 0) {
    return [
      `Nothing changed: ${plan.problems.length} constraint(s) cannot become relations as they are.`,
      formatProblems(plan.problems),
    ].join('\n')
  }
  if (plan.statements.length === 0 && (written?.added.length ?? 0) === 0) return 'No FOREIGN KEY constraints declared: nothing to do.'
  const lines: string[] = []
  if (written) {
    lines.push(`${written.file}: ${written.added.length} relation(s) added, ${written.alreadyPresent} already there.`)
    for (const relation of written.added) lines.push(`  ${describeRelationInput(relation)}`)
  }
  lines.push(...formatCovered(plan.covered))
  if (plan.warnings.length > 0) {
    lines.push('', 'Relations refguard will not enforce until they are fixed (the constraint fails the same way on every such delete):')
    lines.push(...plan.warnings.map((finding) => `  [${finding.kind}] ${finding.message}\n      fix: ${finding.fix}`))
  }
  if (applied) lines.push('', `Dropped ${plan.statements.length} constraint(s); the relations now stand for them (enforce with guard.db).`)
  else if (plan.statements.length > 0) {
    lines.push('', 'DDL to drop the constraints (run it with --apply, or through your migration tool):', formatStatements(plan.statements))
  }
  return lines.join('\n')
}

function formatWarnings(warnings: Finding[]): string[] {
  if (warnings.length === 0) return []
  return ['', 'Warnings (they do not stop the migration):', ...warnings.map((finding) => `  [${finding.kind}] ${finding.message}`)]
}

/** The text report of `migrate to-hard`. */
export function formatToHard(plan: ToHardPlan, applied: boolean): string {
  const lines: string[] = []
  if (!plan.ok) {
    lines.push(`Preflight failed: nothing changed. ${plan.failures.length} problem(s) stop the migration:`, formatProblems(plan.failures))
  }
  if (plan.staySoft.length > 0) {
    lines.push('', `Stay soft (the engine cannot declare them; refguard keeps enforcing them):`)
    for (const entry of plan.staySoft) lines.push(`  ${entry.relation}: ${entry.reason}`)
  }
  if (plan.alreadyHard.length > 0) {
    lines.push('', `Already declared alike: ${plan.alreadyHard.map((entry) => entry.relation).join(', ')}`)
  }
  lines.push(...formatWarnings(plan.warnings))
  if (plan.ok && plan.statements.length === 0) lines.push('', 'Nothing to declare.')
  else if (plan.ok && applied) {
    lines.push('', `Declared ${plan.converted.length} relation(s) as constraints (${plan.statements.length} statement(s)).`)
    lines.push('They stay in the config: refguard checks them as before; remove them from it once the database alone should enforce them.')
  } else if (plan.ok) {
    lines.push(
      '',
      `Preflight passed (${plan.rowsChecked} child rows read). DDL for ${plan.converted.length} relation(s) (run it with --apply, or through your migration tool):`,
      formatStatements(plan.statements),
    )
  }
  return lines.join('\n').replace(/^\n+/, '')
}
