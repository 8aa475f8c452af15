import type { Finding } from './finding.js'

/** How a relation's child table was read. */
export interface ScanInfo {
  /** `whole`: one statement; `chunked`: keyset chunks over the child's primary key; `skipped`: not counted. */
  mode: 'whole' | 'chunked' | 'skipped'
  chunks: number
  /** The columns chunks were ranges of: an indexed reference column, else the primary key. */
  walked?: string[]
  /** Why the scan was not chunked, was skipped or stopped early. */
  note?: string
}

/** Rows of another relation that deleting this relation's orphans would orphan in turn. */
export interface DownstreamEffect {
  relation: string
  rows: number
}

/** The orphan count of one relation, as `check --json` prints it. */
export interface RelationResult {
  name: string
  /** `order_lines(order_pk)`, as the config wrote it. */
  child: string
  parent: string
  childTable: string
  parentTable: string
  rowsChecked: number
  orphans: number
  /** orphans / rowsChecked (0 when the table is empty). */
  share: number
  samples: Record<string, unknown>[]
  ms: number
  /** Fix-order level: 0 for relations whose parent is no relation's child; a repair goes level by level. */
  level: number
  /** False when `--max-time` or a chunk timeout stopped the count: `orphans` is then a lower bound. */
  complete: boolean
  scan: ScanInfo
  /** What deleting this relation's orphans would orphan downstream (empty when it has none). */
  downstream: DownstreamEffect[]
}

/** The result of `refguard check`: `ok` is false when any finding at or above `--fail-on` is not in the baseline. */
export interface CheckReport {
  ok: boolean
  /** False when some relation was not fully counted: never read an incomplete report as clean. */
  complete: boolean
  relations: RelationResult[]
  findings: Finding[]
  /** Relation names in the order a repair should go: parent levels first. */
  fixOrder: string[]
  ms: number
}
