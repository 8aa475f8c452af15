import { type Kysely, sql } from 'kysely'

/** One archived row read straight from refguard_archive, independently of readArchive. */
export interface ArchiveEntry {
  runId: string
  table: string
  action: string
  row: Record<string, unknown>
}

/** Every row refguard_archive holds (of one run, or all), a PostgreSQL batch's JSON array split into its rows. */
export async function archiveEntries(db: Kysely<any>, runId?: string): Promise<ArchiveEntry[]> {
  const where = runId === undefined ? sql`1 = 1` : sql`run_id = ${runId}`
  const { rows } = await sql<{
    run_id: string
    table_name: string
    action: string
    row_data: unknown
  }>`select run_id, table_name, action, row_data from refguard_archive where ${where}`.execute(db)
  return rows.flatMap((entry) => {
    const data = typeof entry.row_data === 'string' ? JSON.parse(entry.row_data) : entry.row_data
    return (Array.isArray(data) ? data : [data]).map((row) => ({ runId: entry.run_id, table: entry.table_name, action: entry.action, row }))
  })
}
