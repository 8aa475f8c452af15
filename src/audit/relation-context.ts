import type { TableInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import type { Family } from './sql-names.js'

/** A relation whose tables exist, with what introspection knows of them: the input of every schema finding. */
export interface RelationContext {
  /** Schemas resolved, for querying. */
  relation: Relation
  /** As the config wrote it, for messages and fix suggestions. */
  asWritten: Relation
  child: TableInfo
  parent: TableInfo
  family: Family
}
