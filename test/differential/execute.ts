import {
  type CompiledQuery,
  type DeleteResult,
  type Expression,
  type ExpressionBuilder,
  type InsertResult,
  type Kysely,
  type SqlBool,
  sql,
  type UpdateResult,
} from 'kysely'
import type { Predicate, Schema, Statement } from './model.js'

/** What one statement did: how many rows it wrote, or the SQLSTATE it failed with ('timeout': see time-limit.ts). */
export type Outcome = { ok: true; rows: number } | { ok: false; sqlState: string; message: string }

/** A table's rows ordered by id. */
export type TableContents = Record<string, Array<Record<string, unknown>>>

/** A write built by Kysely's query builder on one side's Kysely instance. */
interface WriteQuery {
  compile(): CompiledQuery
  executeTakeFirstOrThrow(): Promise<InsertResult | UpdateResult | DeleteResult>
}

function condition(eb: ExpressionBuilder<any, any>, predicate: Predicate): Expression<SqlBool> {
  switch (predicate.kind) {
    case 'all':
      return sql<SqlBool>`true`
    case 'compare':
      return eb(predicate.column, predicate.op, predicate.value)
    case 'in':
      return eb(predicate.column, 'in', predicate.values)
    case 'null':
      return eb(predicate.column, 'is', null)
    case 'and':
      return eb.and(predicate.of.map((part) => condition(eb, part)))
  }
}

/** The statement as a Kysely query on `db`; the same statement builds the same SQL on both sides. */
export function buildQuery(db: Kysely<any>, statement: Statement): WriteQuery {
  if (statement.kind === 'insert') return db.insertInto(statement.table).values(statement.rows)
  const { where } = statement
  if (statement.kind === 'delete') {
    const query = db.deleteFrom(statement.table)
    return where.kind === 'all' ? query : query.where((eb) => condition(eb, where))
  }
  const { column } = statement.set
  const query = db.updateTable(statement.table).set((eb) => ({
    [column]: 'value' in statement.set ? statement.set.value : eb(column, '+', statement.set.add),
  }))
  return where.kind === 'all' ? query : query.where((eb) => condition(eb, where))
}

function writtenRows(result: InsertResult | UpdateResult | DeleteResult): number {
  if ('numDeletedRows' in result) return Number(result.numDeletedRows)
  if ('numUpdatedRows' in result) return Number(result.numUpdatedRows)
  return Number(result.numInsertedOrUpdatedRows ?? 0n)
}

/** The five-character SQLSTATE of a driver or refguard error: `sqlState` (mysql2, refguard) or `code` (pg). */
function sqlStateOf(error: unknown): string {
  const { sqlState, code } = error as { sqlState?: unknown; code?: unknown }
  const state = [sqlState, code].find((value) => typeof value === 'string' && /^[0-9A-Z]{5}$/.test(value))
  return typeof state === 'string' ? state : 'none'
}

/** Runs one statement in autocommit mode and records its outcome instead of throwing. */
export async function runStatement(db: Kysely<any>, statement: Statement): Promise<Outcome> {
  try {
    return { ok: true, rows: writtenRows(await buildQuery(db, statement).executeTakeFirstOrThrow()) }
  } catch (error) {
    return { ok: false, sqlState: sqlStateOf(error), message: error instanceof Error ? error.message : String(error) }
  }
}

/** Every table of the schema, rows ordered by id. */
export async function readTables(db: Kysely<any>, schema: Schema): Promise<TableContents> {
  const contents: TableContents = {}
  for (const table of schema.tables) contents[table.name] = await db.selectFrom(table.name).selectAll().orderBy('id').execute()
  return contents
}
