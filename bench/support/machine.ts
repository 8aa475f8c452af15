import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { type RawBuilder, sql } from 'kysely'
import { openDatabase } from '../../src/index.js'
import { SERVER_URLS } from './databases.js'

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (match?.[1]) return match[1].trim()
  } catch {
    // Not Linux: fall through to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown CPU'
}

async function serverVersion(url: string, query: RawBuilder<{ version: string }>): Promise<string> {
  try {
    const database = await openDatabase('version', url)
    try {
      const result = await query.execute(database.db)
      return String(result.rows[0]?.version)
    } finally {
      await database.close()
    }
  } catch {
    return 'unreachable'
  }
}

function pgliteVersion(): string {
  const manifest = new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

/** One line naming the CPU, cores, memory, current load, Node and database versions the numbers come from. */
export async function describeMachine(): Promise<string> {
  const [postgres, mariadb] = await Promise.all([
    serverVersion(SERVER_URLS.postgres, sql`select current_setting('server_version') as version`),
    serverVersion(SERVER_URLS.mariadb, sql`select version() as version`),
  ])
  const memoryGib = Math.round(totalmem() / 1024 ** 3)
  return [
    `${cpuModel()}, ${cpus().length} cores, ${memoryGib} GiB RAM, 1-minute load average ${loadavg()[0]?.toFixed(2)} at start`,
    `Node ${process.version}`,
    `PostgreSQL ${postgres}`,
    `MariaDB ${mariadb}`,
    `PGlite ${pgliteVersion()}`,
  ].join(' · ')
}
