import type { CompiledQuery, Kysely } from 'kysely'
import { differingStatements, differingTables, type RowCountCompared, type SideRun } from './compare.js'
import { createTableStatements } from './ddl.js'
import { buildQuery, type Outcome } from './execute.js'
import type { Scenario } from './model.js'

/** The SQL with its parameters written in, readable and pasteable into a SQL console (values are integers or NULL). */
function inlineParameters(query: CompiledQuery): string {
  let position = 0
  return query.sql.replace(/\$\d+|\?/g, (placeholder) => {
    const index = placeholder === '?' ? position++ : Number(placeholder.slice(1)) - 1
    const value = query.parameters[index]
    return value === null || value === undefined ? 'null' : String(value)
  })
}

function describeOutcome(outcome: Outcome): string {
  return outcome.ok ? `ok, ${outcome.rows} row(s)` : `failed ${outcome.sqlState}: ${outcome.message.split('\n')[0]}`
}

/**
 * A counterexample a reader can replay by hand: the oracle's DDL, each statement with both outcomes
 * (differences marked, and statements whose row count is not compared), and the final tables that differ.
 */
export function formatDisagreement(
  db: Kysely<any>,
  scenario: Scenario,
  expected: SideRun,
  actual: SideRun,
  labels: [string, string],
  rowCountCompared: RowCountCompared = () => true,
): string {
  const [expectedLabel, actualLabel] = labels
  const badStatements = new Set(differingStatements(expected, actual, rowCountCompared))
  const lines = [`${actualLabel} disagrees with ${expectedLabel}`, 'schema (as created on the oracle):']
  for (const statement of createTableStatements(scenario.schema, true)) lines.push(`  ${statement.compile(db).sql};`)
  lines.push('statements:')
  scenario.statements.forEach((statement, index) => {
    const marker = badStatements.has(index) ? '  <-- differs' : rowCountCompared(index) ? '' : '  (row count not compared)'
    lines.push(`  ${index + 1}. ${inlineParameters(buildQuery(db, statement).compile())};${marker}`)
    lines.push(`       ${expectedLabel}: ${describeOutcome(expected.outcomes[index]!)}`)
    lines.push(`       ${actualLabel}: ${describeOutcome(actual.outcomes[index]!)}`)
  })
  const badTables = differingTables(expected, actual)
  lines.push(badTables.length === 0 ? 'final tables: identical' : 'final tables that differ:')
  for (const table of badTables) {
    lines.push(`  ${table} ${expectedLabel}: ${JSON.stringify(expected.tables[table])}`)
    lines.push(`  ${table} ${actualLabel}: ${JSON.stringify(actual.tables[table])}`)
  }
  return lines.join('\n')
}
