import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { tableSql } from '../db/identifiers.js'
import type { TableInfo } from '../db/schema-info.js'
import { UsageError } from '../errors.js'
import { rowJsonSql } from './row-json.js'
import { ARCHIVE_TABLE } from './tables.js'

/** Which rows of which step a batch archives. */
export interface ArchiveBatch {
  runId: string
  batch: number
  step: number
  relation: string
  table: TableInfo
  action: 'delete' | 'update'
  changedColumns: string[]
}

/** One archived row, as restore reads it back. */
export interface ArchivedRow {
  batch: number
  step: number
  relation: string
  tableSchema: string
  tableName: string
  action: 'delete' | 'update'
  changedColumns: string[]
  /** The row as JSON text made by the database. */
  row: string
}

/** Where a repair keeps the rows it changes: refguard_archive (same transaction) or a JSONL file (fsynced before commit). */
export interface ArchiveSink {
  readonly description: string
  /** Archives the rows of `source` (a query over the child aliased `c`) inside the batch's transaction. */
  write(trx: Kysely<any>, batch: ArchiveBatch, source: RawBuilder<unknown>, family: 'postgres' | 'mysql'): Promise<number>
  /**
   * PostgreSQL, when the archive is a table: two CTEs for one statement, `changed` deleting the child rows (alias
   * `c`) matching `where` and `archived` archiving exactly the rows it returns. Undefined for files.
   */
  deleteArchivedSql?(batch: ArchiveBatch, where: RawBuilder<unknown>): RawBuilder<unknown>
  /** Makes the batch's archive durable; called before the transaction commits. */
  flush(): void
  /** Forgets archived batches after `lastCommitted` (a run resumed after a crash between flush and commit). */
  truncateAfter(runId: string, lastCommitted: number): Promise<void>
}

const CHILD = 'c'

const ARCHIVE_COLUMNS = sql.raw('run_id, batch, step, relation, table_schema, table_name, action, changed_columns, row_data')

/** The values of an archive row before its row data. */
function archiveValues(batch: ArchiveBatch): RawBuilder<unknown> {
  const { runId, step, relation, table, action, changedColumns } = batch
  return sql`${runId}, ${batch.batch}, ${step}, ${relation}, ${table.schema}, ${table.name}, ${action}, ${changedColumns.join(',')}`
}

/** PostgreSQL: the insert of one archive row holding `rowJson` of every row of `from` as a JSON array; none for no rows. */
function batchArchiveSql(batch: ArchiveBatch, rowJson: RawBuilder<unknown>, from: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`insert into ${sql.id(ARCHIVE_TABLE)} (${ARCHIVE_COLUMNS})
    select ${archiveValues(batch)}, json_agg(${rowJson}) from ${from} having count(*) > 0`
}

/**
 * Archives into `refguard_archive`, in the same transaction as the change: both commit or neither does. On
 * PostgreSQL a batch is one archive row whose row_data is a JSON array of its rows (one heap row, compressed,
 * instead of a thousand); on MySQL/MariaDB, whose JSON aggregate is capped by group_concat_max_len, one row each.
 */
export function tableArchive(db: Kysely<any>): ArchiveSink {
  return {
    description: ARCHIVE_TABLE,
    async write(trx, batch, source, family) {
      if (family === 'mysql') {
        const result = await sql`insert into ${sql.id(ARCHIVE_TABLE)} (${ARCHIVE_COLUMNS})
          select ${archiveValues(batch)}, ${rowJsonSql(batch.table, CHILD, family)} from ${source}`.execute(trx)
        return Number(result.numAffectedRows ?? 0)
      }
      const { rows } = await sql<{ archived: unknown }>`with
        taken as (select row_to_json(${sql.id(CHILD)}) as row_json from ${source}),
        archived as (${batchArchiveSql(batch, sql.id('row_json'), sql.id('taken'))})
        select count(*) as archived from taken`.execute(trx)
      return Number(rows[0]?.archived ?? 0)
    },
    deleteArchivedSql(batch, where) {
      const table = tableSql({ schema: batch.table.schema, table: batch.table.name })
      return sql`changed as (delete from ${table} as ${sql.id(CHILD)} where ${where} returning ${sql.id(CHILD)}.*),
        archived as (${batchArchiveSql(batch, sql.id('changed'), sql.id('changed'))})`
    },
    flush() {},
    async truncateAfter(runId, lastCommitted) {
      await sql`delete from ${sql.id(ARCHIVE_TABLE)} where run_id = ${runId} and batch > ${lastCommitted}`.execute(db)
    },
  }
}

/**
 * The lines of an archive file that end in a newline. A crash part way through a batch's write can leave part
 * of a line at the end (the kernel stops a large write between pages on SIGKILL); that batch never committed,
 * since its lines are complete before it commits.
 */
function wholeLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1)
}

/** Archives into a JSONL file, one line per row, fsynced before the batch commits; fails before any change if it cannot write. */
export function fileArchive(path: string): ArchiveSink {
  let fd: number
  try {
    fd = openSync(path, 'a')
  } catch (error) {
    throw new UsageError(
      `cannot open archive file ${path}: ${(error as Error).message}; nothing was changed`,
      'pass a writable path to --archive file:PATH',
    )
  }
  let currentRun = ''
  const failed = (error: unknown) =>
    new UsageError(
      `cannot write archive file ${path}: ${(error as Error).message}; the batch was rolled back (earlier batches stay archived)`,
      `make room (or pass another --archive file:PATH), then continue with refguard repair --resume ${currentRun}`,
    )
  return {
    description: path,
    async write(trx, batch, source, family) {
      const { rows } = await sql<{
        row: string
      }>`select ${rowJsonSql(batch.table, CHILD, family)} as ${sql.id('row')} from ${source}`.execute(trx)
      const lines = rows.map((row) =>
        JSON.stringify({
          run: batch.runId,
          batch: batch.batch,
          step: batch.step,
          relation: batch.relation,
          tableSchema: batch.table.schema,
          tableName: batch.table.name,
          action: batch.action,
          changedColumns: batch.changedColumns,
          row: String(row.row),
        }),
      )
      currentRun = batch.runId
      if (lines.length === 0) return 0
      const size = fstatSync(fd).size
      const text = Buffer.from(`${lines.join('\n')}\n`)
      try {
        // A short write (the disk filled up part way) is retried, so that it throws: all of the batch's rows, or an error.
        for (let written = 0; written < text.length;) written += writeSync(fd, text, written)
      } catch (error) {
        // No half-written line may stay behind: the file must still parse for restore and resume.
        if (fstatSync(fd).isFile()) ftruncateSync(fd, size)
        throw failed(error)
      }
      return lines.length
    },
    flush() {
      try {
        fsyncSync(fd)
      } catch (error) {
        throw failed(error)
      }
    },
    async truncateAfter(runId, lastCommitted) {
      closeSync(fd)
      const kept = wholeLines(path).filter((line) => !(JSON.parse(line).run === runId && JSON.parse(line).batch > lastCommitted))
      writeFileSync(path, kept.length > 0 ? `${kept.join('\n')}\n` : '')
      fd = openSync(path, 'a')
    },
  }
}

/** The archived rows of a run, batch by batch, oldest first, from refguard_archive or from a JSONL file. */
export async function readArchive(
  source: { db: Kysely<any>; family: 'postgres' | 'mysql' } | { file: string },
  runId: string,
): Promise<ArchivedRow[]> {
  if ('file' in source) {
    return wholeLines(source.file)
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.run === runId)
  }
  // Read as text: a driver that parses JSON would turn exact numerics into JavaScript numbers. A PostgreSQL batch's
  // array is split into its rows (json_array_elements keeps each one's text as written); a row of its own stays one.
  const { rows } =
    source.family === 'postgres'
      ? await sql<Record<string, unknown>>`select a.batch, a.step, a.relation, a.table_schema, a.table_name, a.action, a.changed_columns,
          e.row_json::text as row_data
        from ${sql.id(ARCHIVE_TABLE)} as a
        cross join lateral json_array_elements(case when json_typeof(a.row_data) = 'array' then a.row_data else json_build_array(a.row_data) end)
          with ordinality as e(row_json, position)
        where a.run_id = ${runId} order by a.batch, e.position`.execute(source.db)
      : await sql<Record<string, unknown>>`select batch, step, relation, table_schema, table_name, action, changed_columns, row_data
        from ${sql.id(ARCHIVE_TABLE)} where run_id = ${runId} order by batch`.execute(source.db)
  return rows.map((row) => ({
    batch: Number(row.batch),
    step: Number(row.step),
    relation: String(row.relation),
    tableSchema: String(row.table_schema),
    tableName: String(row.table_name),
    action: row.action as 'delete' | 'update',
    changedColumns: row.changed_columns ? String(row.changed_columns).split(',') : [],
    row: String(row.row_data),
  }))
}

/** `from child as c` for archive sources. */
export function childSource(table: TableInfo, where: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`${tableSql({ schema: table.schema, table: table.name })} as ${sql.id(CHILD)} where ${where}`
}
