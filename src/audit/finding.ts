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

/** How bad a finding is: `--fail-on` picks the lowest severity that fails the run. */
export type Severity = 'error' | 'warning'

/** One problem found with one relation (or with the config as a whole), and how to fix it. */
export interface Finding {
  kind: FindingKind
  severity: Severity
  relation?: string
  /** The child column (or table.column) the finding is about, when it is about one. */
  column?: string
  /** The sentinel value, for `sentinel` findings. */
  value?: string | number
  count?: number
  message: string
  /** The SQL statement(s) or config change that fixes it. */
  fix: string
  /** Set when `--baseline` already knew this finding (with no higher count): it does not fail the run. */
  baseline?: boolean
}
