import type { Finding } from '../finding.js'
import { orphanFixSql } from '../fix-sql.js'
import type { RelationResult } from '../report.js'
import type { RelationContext } from '../relation-context.js'

/** `12.5%`, `0.04%` or `<0.01%`. */
export function percent(part: number, whole: number): string {
  if (whole === 0) return '0%'
  const share = (100 * part) / whole
  return share < 0.01 ? '<0.01%' : `${share.toFixed(share < 1 ? 2 : 1)}%`
}

/**
 * `orphans`: child rows whose key matches no parent, not counting the rows a sentinel finding explains. The fix
 * does what the relation's ON DELETE would have done, and leaves sentinel rows to their own fix.
 */
export function orphanFindings(
  context: RelationContext,
  result: RelationResult,
  sentinels: Array<string | number>,
  sentinelRows: number,
): Finding[] {
  const broken = result.orphans - sentinelRows
  if (broken <= 0) return []
  const atLeast = result.complete ? '' : 'at least '
  const besides = sentinelRows > 0 ? ` (besides ${sentinelRows} sentinel rows)` : ''
  const downstream = result.downstream.map((effect) => `${effect.rows} row(s) of relation "${effect.relation}"`).join(', ')
  return [
    {
      kind: 'orphans',
      severity: 'error',
      relation: context.asWritten.name,
      count: broken,
      message:
        `${atLeast}${broken} of ${result.rowsChecked} rows (${percent(broken, result.rowsChecked)}) of ${result.child} reference no row of ${result.parent}${besides}` +
        (downstream ? `; deleting them orphans ${downstream}: fix those next` : ''),
      fix: orphanFixSql(context.asWritten, context.family, sentinels),
    },
  ]
}
