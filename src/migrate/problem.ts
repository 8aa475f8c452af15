/** Why a relation or constraint cannot be migrated as it is, and what to do about it. */
export interface MigrationProblem {
  kind:
    | 'orphans'
    | 'sentinel'
    | 'type-mismatch'
    | 'parent-not-unique'
    | 'nullability'
    | 'incomplete'
    | 'name-collision'
    | 'name-too-long'
    | 'declared-differently'
    | 'config-differs'
    | 'match-partial'
  /** The relation (to-hard) or constraint (to-soft) it is about. */
  relation: string
  message: string
  fix: string
  count?: number
}
