import { type Kysely, sql } from 'kysely'
import { columnSql, tableSql } from '../db/identifiers.js'
import type { ResolvedConfig } from '../config/normalize.js'
import type { DatabaseSet } from '../db/database-set.js'
import { findColumn, findTable, type TableInfo } from '../db/schema-info.js'
import { UsageError } from '../errors.js'
import { didYouMean } from '../util/suggest.js'
import { type ArchivedRow, readArchive } from './archive.js'
import { rowFromJsonSql } from './row-json.js'
import { loadRun, saveRunState } from './runs.js'

/** What `refguard restore` did (or, without --apply, would do), per table. */
export interface RestoreReport {
  runId: string
  applied: boolean
  tables: Array<{ table: string; reinserted: number; reverted: number }>
}

/** Rows restored per statement on PostgreSQL (one JSON array each). */
const ROWS_PER_STATEMENT = 500

function tableOf(tables: Map<string, TableInfo>, row: ArchivedRow): TableInfo {
  const table = tables.get(`${row.tableSchema}.${row.tableName}`)
  if (!table) throw new UsageError(`table ${row.tableSchema}.${row.tableName} of the archived rows no longer exists: nothing was restored`)
  return table
}

/** A primary key or unique violation (PostgreSQL 23505, MySQL ER_DUP_ENTRY): the one failure that means a conflict. */
function isDuplicateKey(error: unknown): boolean {
  const { code, errno } = error as { code?: string; errno?: number }
  return code === '23505' || code === 'ER_DUP_ENTRY' || errno === 1062
}

/** Puts deleted rows back, with every column as archived. */
async function reinsert(trx: Kysely<any>, table: TableInfo, rows: ArchivedRow[], family: 'postgres' | 'mysql'): Promise<void> {
  const target = tableSql({ schema: table.schema, table: table.name })
  const names = sql.join(table.columns.map((column) => sql.id(column.name)))
  const documents =
    family === 'postgres'
      ? Array.from(
          { length: Math.ceil(rows.length / ROWS_PER_STATEMENT) },
          (_, i) =>
            `[${rows
              .slice(i * ROWS_PER_STATEMENT, (i + 1) * ROWS_PER_STATEMENT)
              .map((row) => row.row)
              .join(',')}]`,
        )
      : rows.map((row) => row.row)
  for (const document of documents) {
    try {
      await sql`insert into ${target} (${names}) ${rowFromJsonSql(table, document, family)}`.execute(trx)
    } catch (error) {
      if (!isDuplicateKey(error)) throw error
      const detail = (error as { detail?: string }).detail ?? (error as Error).message
      throw new UsageError(
        `cannot restore into ${table.name}: a row that the repair deleted conflicts with a row that exists now (${detail}); nothing was restored`,
        `delete or change the conflicting row of ${table.name}, then run restore again`,
      )
    }
  }
}

/**
 * Sets the columns a repair changed back to their archived values, row by row, matched by primary key; and
 * the columns the repair's update changed by itself (MySQL `ON UPDATE CURRENT_TIMESTAMP`), which restore's
 * own update would change again.
 */
async function revert(trx: Kysely<any>, table: TableInfo, rows: ArchivedRow[], family: 'postgres' | 'mysql'): Promise<void> {
  const target = tableSql({ schema: table.schema, table: table.name })
  const autoUpdated = table.columns.filter((column) => column.autoUpdated).map((column) => column.name)
  for (const row of rows) {
    const changed = [...new Set([...row.changedColumns, ...autoUpdated])]
    const columns = [...table.primaryKey, ...changed].map((name) => findColumn(table, name)).filter((column) => column !== undefined)
    const source = rowFromJsonSql(table, family === 'postgres' ? `[${row.row}]` : row.row, family, columns)
    const sets = sql.join(
      changed.map((name) => sql`${family === 'postgres' ? sql.id(name) : columnSql('c', name)} = ${columnSql('j', name)}`),
    )
    const match = sql.join(
      table.primaryKey.map((name) => sql`${columnSql('c', name)} = ${columnSql('j', name)}`),
      sql` and `,
    )
    const result =
      family === 'postgres'
        ? await sql`update ${target} as c set ${sets} from (${source}) as j where ${match}`.execute(trx)
        : await sql`update ${target} as c join (${source}) as j on ${match} set ${sets}`.execute(trx)
    if (Number(result.numAffectedRows ?? 0) !== 1) {
      throw new UsageError(
        `cannot restore ${table.name}: a row the repair changed no longer exists (${row.row.slice(0, 120)}); nothing was restored`,
      )
    }
  }
}

/**
 * Puts a repair run's rows back exactly (all of them, or those of `relations`), newest change first, in one
 * transaction: deleted rows are inserted again, changed columns get their archived values. Refuses, changing
 * nothing, when a row would conflict.
 */
export async function runRestore(
  config: ResolvedConfig,
  databases: DatabaseSet,
  runId: string,
  options: { apply?: boolean; archive?: string; database?: string; relations?: string[] } = {},
): Promise<RestoreReport> {
  const database = await databases.get(options.database ?? config.defaultDatabase)
  const family = database.dialect.family
  const run = await loadRun(database.db, runId)
  const archive = options.archive ?? run.options.archive
  const archived = await readArchive(archive.startsWith('file:') ? { file: archive.slice(5) } : { db: database.db, family }, runId)
  const only = options.relations && options.relations.length > 0 ? new Set(options.relations) : undefined
  // A file can hold the rows of a batch that was written but never committed (the run stopped in between).
  const archivedRelations = [...new Set(archived.map((row) => row.relation))]
  for (const name of only ?? []) {
    if (!archivedRelations.includes(name)) {
      throw new UsageError(
        `repair run "${runId}" changed no rows of relation "${name}"${didYouMean(name, archivedRelations)}`,
        `relations with archived rows: ${archivedRelations.join(', ') || 'none'}`,
      )
    }
  }
  const rows = archived.filter((row) => row.batch <= run.batches && (!only || only.has(row.relation))).reverse()
  const schemas = [...new Set(rows.map((row) => row.tableSchema))]
  const schema = await database.introspect(schemas)
  const tables = new Map(
    [...new Set(rows.map((row) => `${row.tableSchema}.${row.tableName}`))].map((key) => {
      const [tableSchema, tableName] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)]
      return [key, findTable(schema, { schema: tableSchema, table: tableName }) as TableInfo] as const
    }),
  )
  const summary = new Map<string, { table: string; reinserted: number; reverted: number }>()
  for (const row of rows) {
    const entry = summary.get(row.tableName) ?? { table: row.tableName, reinserted: 0, reverted: 0 }
    if (row.action === 'delete') entry.reinserted++
    else entry.reverted++
    summary.set(row.tableName, entry)
  }
  const report = { runId, applied: Boolean(options.apply), tables: [...summary.values()] }
  if (!options.apply) return report
  if (run.status === 'restored') throw new UsageError(`repair run "${runId}" was already restored`)
  await database.db.transaction().execute(async (trx) => {
    // Group consecutive rows of one table and action: one multi-row statement each, in reverse order of change.
    let group: ArchivedRow[] = []
    const flush = async () => {
      const first = group[0]
      if (!first) return
      const table = tableOf(tables, first)
      if (first.action === 'delete') await reinsert(trx, table, group, family)
      else await revert(trx, table, group, family)
      group = []
    }
    for (const row of rows) {
      const last = group[group.length - 1]
      if (last && (last.action !== row.action || last.tableName !== row.tableName || last.tableSchema !== row.tableSchema)) await flush()
      group.push(row)
    }
    await flush()
    // Restoring some relations leaves the run restorable for the others.
    if (!only) {
      run.status = 'restored'
      await saveRunState(trx, run)
    }
  })
  return report
}
