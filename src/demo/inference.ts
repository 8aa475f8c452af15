import pc from 'picocolors'
import type { ResolvedConfig } from '../config/normalize.js'
import type { Database } from '../db/connect.js'
import { inferRelations } from '../infer/infer.js'
import { countOf, wrap } from './wording.js'

const INDENT = '   '
const SHOWN = 6

/** `refguard infer` on the tour's database: which of the relations configured by hand it finds from names and data alone. */
export async function inferenceSection(database: Database, config: ResolvedConfig, schemas: string[]): Promise<string> {
  const report = await inferRelations(database, { schemas, configured: config.relations })
  const accepted = report.candidates.filter((candidate) => candidate.accepted)
  const known = accepted.filter((candidate) => candidate.configured)
  const missed = config.relations.length - known.length
  const lines = accepted
    .slice(0, SHOWN)
    .map(
      (candidate) =>
        `${INDENT}  ${candidate.confidence.toFixed(2)}  ${candidate.child} -> ${candidate.parent}${candidate.configured ? '' : pc.yellow('  (not in the config)')}`,
    )
  return [
    pc.bold(pc.cyan('7. every schema, inferred: the relations nobody declared')),
    wrap(
      `refguard infer reads names and types first, then samples the data of the plausible pairs. With no relation given, it ` +
        `accepts ${countOf(accepted.length, 'candidate')} at confidence 0.6 or more in ${report.ms} ms and ${countOf(
          Object.values(report.queries).reduce((sum, count) => sum + count, 0),
          'query',
          'queries',
        )}: ` +
        `${known.length} of the ${config.relations.length} relations this tour configured by hand${missed > 0 ? ` (${missed} missed)` : ''}. The most confident:`,
      INDENT,
    ),
    lines.join('\n'),
    wrap('refguard infer --write adds the accepted ones to refguard.config.*; --json lists every candidate with its evidence.', INDENT),
  ].join('\n\n')
}
