import type { ReferentialAction } from '../../src/index.js'
import type { OracleDialect, RelationDef, Schema, Statement } from './model.js'

/*
 * Where refguard knowingly differs from InnoDB (README, "PostgreSQL and MySQL/MariaDB differences"):
 * InnoDB deletes row by row in scan (primary-key) order and runs each row's referential actions before
 * reaching the next row; refguard judges a statement as a whole. Only a relation from a table to itself
 * lets a statement's own actions reach rows that the same statement is still going to scan (schemas are
 * parent-first, so there is no longer cycle), so the differences below all need a self-referencing relation:
 *
 * (a) RESTRICT / NO ACTION on delete: InnoDB accepts a delete that reaches a child row before its parent;
 *     refguard counts the children that exist before the statement, including those it deletes, and refuses.
 * (b) SET NULL on delete: InnoDB re-tests the WHERE clause on rows its own SET NULL changed (they may start or
 *     stop matching); refguard deletes exactly the rows the WHERE clause matched when the statement started.
 * (c) CASCADE on delete: InnoDB's count includes rows the scan deleted itself before a cascade could reach them;
 *     refguard runs the cascades first, so the statement reports only the rows it still deleted itself.
 *
 * The MariaDB generator avoids (a) and (b) and the comparison leaves out the counts of (c); every other
 * outcome, count and table is compared as strictly as on PostgreSQL.
 */

/** A relation from a table to itself. */
export function isSelfReferencing(relation: RelationDef): boolean {
  return relation.child === relation.parent
}

/**
 * The ON DELETE action a MariaDB schema gets for a self-referencing relation, avoiding (a): RESTRICT becomes
 * CASCADE and NO ACTION becomes SET NULL, so that both remaining actions stay in the mix.
 */
export function innodbSelfReferenceOnDelete(action: ReferentialAction): ReferentialAction {
  if (action === 'restrict') return 'cascade'
  if (action === 'no action') return 'set null'
  return action
}

/** Columns of `table` that a MariaDB delete predicate must not test, avoiding (b): those its self-referencing SET NULL writes. */
export function columnsDeletePredicatesAvoid(dialect: OracleDialect, schema: Schema, table: string): Set<string> {
  if (dialect !== 'mariadb') return new Set()
  const writers = schema.relations.filter(
    (relation) => relation.child === table && isSelfReferencing(relation) && relation.onDelete === 'set null',
  )
  return new Set(writers.flatMap((relation) => relation.childColumns))
}

/**
 * Whether the affected-row count of `statement` is compared; not for (c): a MariaDB delete from a table with a
 * self-referencing ON DELETE CASCADE. Narrower than "any schema with a self-reference" on purpose: only such a
 * delete can have its count changed by its own cascade, so every other count (inserts, updates, deletes from other
 * tables, SET NULL self-references) stays compared; the outcome's success or SQLSTATE class and the final tables
 * are always compared.
 */
export function rowCountCompared(dialect: OracleDialect, schema: Schema, statement: Statement): boolean {
  if (dialect !== 'mariadb' || statement.kind !== 'delete') return true
  return !schema.relations.some(
    (relation) => relation.child === statement.table && isSelfReferencing(relation) && relation.onDelete === 'cascade',
  )
}
