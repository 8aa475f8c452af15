import { ConfigError } from '../config/errors.js'
import { type ResolvedConfig, softDeleteTable } from '../config/normalize.js'
import { findColumn, findTable, type SchemaInfo } from '../db/schema-info.js'
import type { Relation } from '../model/relation.js'
import { validateRelation } from '../model/validate.js'
import { isQueueable } from './queued-actions.js'
import { isFlag, softDeleteOf } from './soft-delete-columns.js'

/**
 * Relations that cannot be enforced in this version, or against this schema, stop createGuard with every reason.
 * `home` is the database the guard writes to, whose schema `schema` is.
 */
export function assertEnforceable(
  config: ResolvedConfig,
  relations: Relation[],
  schema: SchemaInfo,
  family: 'postgres' | 'mysql',
  home: string,
): void {
  const problems: string[] = softDeleteProblems(softDeleteOf(config, home), schema)
  for (const relation of relations) {
    // Relations inside another database are enforced by a guard on that one.
    if (relation.child.database !== home && relation.parent.database !== home) continue
    if (relation.child.database !== relation.parent.database) {
      // remoteParentsFor checks the parent side in its own database.
      problems.push(...crossDatabaseProblems(relation, relation.child.database === home ? schema : undefined, family))
      continue
    }
    if (relation.mode === 'queued') problems.push(...queuedProblems(relation, schema, family))
    if (relation.mode === 'scheduled') problems.push(...batchedChildProblems(relation, schema, family))
    for (const finding of validateRelation(relation, schema, schema)) {
      if (finding.severity === 'error') problems.push(`${finding.message} (fix: ${finding.fix})`)
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`cannot enforce ${problems.length === 1 ? 'a relation' : 'these relations'}:\n  ${problems.join('\n  ')}`, {
      ...(config.file ? { file: config.file } : {}),
      fix: 'correct the relations (or the schema) and create the guard again',
    })
  }
}

/**
 * Why a queued relation cannot work: queued mode applies CASCADE, SET NULL and SET DEFAULT later, in a worker;
 * RESTRICT and NO ACTION are checks, which cannot wait (a relation's other action may be one: it is checked inline).
 */
function queuedProblems(relation: Relation, schema: SchemaInfo | undefined, family: 'postgres' | 'mysql'): string[] {
  if (!isQueueable(relation.onDelete) && !isQueueable(relation.onUpdate)) {
    return [
      `relation "${relation.name}": mode "queued" needs ON DELETE or ON UPDATE CASCADE, SET NULL or SET DEFAULT, but it has ON DELETE ${relation.onDelete.toUpperCase()} and ON UPDATE ${relation.onUpdate.toUpperCase()}, which are checks and cannot wait for a worker; make it inline, or give it an action to queue`,
    ]
  }
  return schema ? batchedChildProblems(relation, schema, family) : []
}

/**
 * Why a relation across databases cannot work: inline and queued can, scheduled cannot (the soft-delete mark and
 * the sweeper work inside one database: a child write in another database would not see the mark).
 * `childSchema`: the child database's schema, when the guard writes to it.
 */
function crossDatabaseProblems(relation: Relation, childSchema: SchemaInfo | undefined, family: 'postgres' | 'mysql'): string[] {
  if (relation.mode === 'inline') return []
  if (relation.mode === 'scheduled') {
    return [
      `relation "${relation.name}": its parent is in another database ("${relation.parent.database}"), and mode "scheduled" works inside one database (a child write in "${relation.child.database}" cannot see the soft-delete mark, nor the sweeper the children); use mode "queued" (the job is written in the parent database and a worker acts in the child database) or "inline"`,
    ]
  }
  if (!isQueueable(relation.onDelete) && !isQueueable(relation.onUpdate)) return queuedProblems(relation, undefined, family)
  return childSchema ? batchedChildProblems(relation, childSchema, family) : []
}

/** Workers and the sweeper act on children in batches by primary key (PostgreSQL can use ctid instead). */
function batchedChildProblems(relation: Relation, schema: SchemaInfo, family: 'postgres' | 'mysql'): string[] {
  const child = findTable(schema, relation.child)
  if (family === 'mysql' && child && child.primaryKey.length === 0) {
    return [
      `relation "${relation.name}": mode "${relation.mode}" works through ${relation.child.table} in batches by primary key, and it has none; add a primary key or make the relation inline`,
    ]
  }
  return []
}

/** Soft-delete columns that do not exist or cannot mark a row: a nullable timestamp (NULL = present) or a boolean flag. */
function softDeleteProblems(config: Pick<ResolvedConfig, 'softDelete'>, schema: SchemaInfo): string[] {
  return Object.entries(config.softDelete).flatMap(([name, { column }]) => {
    const table = findTable(schema, softDeleteTable(name))
    if (!table) return [`softDelete.${name}: table "${name}" does not exist; use the name of a table that is a relation's parent`]
    const info = findColumn(table, column)
    if (!info) {
      return [
        `softDelete.${name}: column "${column}" does not exist in ${name}; add it (e.g. ${column} timestamp null) or name an existing column`,
      ]
    }
    if (!isFlag(info.type) && !info.nullable) {
      return [
        `softDelete.${name}: column "${column}" is NOT NULL, so it cannot hold NULL for rows that are not deleted; make it nullable, or use a boolean flag`,
      ]
    }
    return []
  })
}
