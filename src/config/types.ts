import type { ExecutionMode, FilterValue, MatchType, ReferentialAction } from '../model/relation.js'

/** One side of a relation as written in a config file; `database` defaults to the config's first database. */
export interface SideInput {
  database?: string
  schema?: string
  table: string
  columns: string[]
  where?: Record<string, FilterValue>
}

/** A relation in its long form, as written in a config file. */
export interface RelationInput {
  name?: string
  child: SideInput
  parent: Omit<SideInput, 'where'>
  onDelete?: ReferentialAction
  onUpdate?: ReferentialAction
  onDeleteSetColumns?: string[]
  match?: MatchType
  mode?: ExecutionMode
  deferrable?: boolean
  initiallyDeferred?: boolean
}

/** Settings every relation inherits unless it sets its own. */
export interface RelationDefaults {
  onDelete?: ReferentialAction
  onUpdate?: ReferentialAction
  match?: MatchType
  mode?: ExecutionMode
  deferrable?: boolean
  initiallyDeferred?: boolean
}

/** A database refguard connects to: `postgres://`, `mysql://`, `mariadb://`, `pglite://DIR` or `pglite://memory`. */
export interface DatabaseInput {
  url: string
}

/** Soft-delete settings of a parent table (scheduled mode). */
export interface SoftDeleteInput {
  column: string
  keepParent?: boolean
}

/** The whole refguard configuration, as written by its user. */
export interface RefguardConfig {
  databases: Record<string, DatabaseInput | string>
  defaults?: RelationDefaults
  relations: Array<string | RelationInput>
  softDelete?: Record<string, SoftDeleteInput>
}
