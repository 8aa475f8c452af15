/** The kinds of problem `refguard check` reports. */
export type FindingKind =
  | 'orphans'
  | 'sentinel'
  | 'type-mismatch'
  | 'missing-index'
  | 'parent-not-unique'
  | 'nullability'
  | 'cycle'
  | 'unknown-table'
  | 'unknown-column'
  | 'duplicate-constraint'

/** One problem found with one relation (or with the config as a whole), and how to fix it. */
export interface Finding {
  kind: FindingKind
  severity: 'error' | 'warning'
  relation?: string
  count?: number
  message: string
  /** The SQL statement or config change that fixes it. */
  fix: string
}
