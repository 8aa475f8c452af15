import type { RelationInput } from '../config/types.js'
import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import type { FilterValue } from '../model/relation.js'

/** Where a piece of evidence comes from. */
export type Signal = 'name' | 'type' | 'key' | 'data' | 'polymorphic' | 'composite' | 'competition'

/** One reason for (positive weight) or against (negative) a candidate; weights are log-odds and add up. */
export interface Evidence {
  signal: Signal
  detail: string
  weight: number
}

/** What reading the child's values said about a candidate. */
export interface Coverage {
  /** `sample` (a few thousand rows read) or `exact` (every row). */
  method: 'sample' | 'exact'
  /** Child rows read whose child columns are all set (and that match the candidate's `where`). */
  rows: number
  /** Of those, rows whose key the parent has. */
  matched: number
  /** Unmatched rows holding 0 or '' (legacy "none" sentinels): left out of the share of orphans. */
  sentinels: number
  /** Distinct parent keys the matched rows reference (one-column candidates). */
  referenced?: number
  /** Smallest and largest matched value (one-column whole-number candidates). */
  matchedMin?: number
  matchedMax?: number
  /** Smallest and largest child value, matched or not (one-column whole-number candidates). */
  childMin?: number
  childMax?: number
}

/** The parent key's row count and, for whole numbers, its range. */
export interface ParentStats {
  rows: number
  min?: number
  max?: number
}

/** The child side of a candidate. */
export interface CandidateChild {
  table: TableInfo
  columns: ColumnInfo[]
  where?: Record<string, FilterValue>
}

/** The parent side of a candidate: a unique key. */
export interface CandidateParent {
  table: TableInfo
  columns: ColumnInfo[]
}

/** A relation that may hold, with the evidence gathered so far. */
export interface Candidate {
  child: CandidateChild
  parent: CandidateParent
  /** Evidence from names, types and keys, known before any data is read. */
  evidence: Evidence[]
  /** False when the types cannot be compared: no data is read for it. */
  comparable: boolean
  coverage?: Coverage
  parentStats?: ParentStats
}

/** A candidate as `infer` reports it. */
export interface InferredRelation {
  name: string
  /** `table(columns)`, with ` where column = 'value'` for a polymorphic child. */
  child: string
  parent: string
  /** How likely the relation holds, in [0, 1]. */
  confidence: number
  /** At or above the minimum confidence: what `--write` adds. */
  accepted: boolean
  /** The config already has a relation with this child and parent. */
  configured: boolean
  evidence: Evidence[]
  relation: RelationInput
}

/** The sum of a candidate's evidence weights. */
export function logOdds(evidence: readonly Evidence[]): number {
  return evidence.reduce((sum, item) => sum + item.weight, 0)
}

/** Log-odds as a probability. */
export function probability(logit: number): number {
  return 1 / (1 + Math.exp(-logit))
}

/** A stable identity of a candidate's child side: table, columns and filter. */
export function childKey(child: CandidateChild): string {
  return JSON.stringify([child.table.schema, child.table.name, child.columns.map((column) => column.name), child.where ?? null])
}
