import type { Command } from 'commander'
import { CHECKS_TABLE, ensureCheckLog } from '../audit/check-log.js'
import { loadConfig } from '../config/load.js'
import { DatabaseSet } from '../db/database-set.js'
import { ensureJobTables, JOBS_TABLE, VERSIONS_TABLE } from '../queue/tables.js'
import { ARCHIVE_TABLE, ensureRepairTables, RUNS_TABLE } from '../repair/tables.js'
import { type CommonOptions, withCommonOptions } from './options.js'
import { EXIT, runCommand } from './run-command.js'

/** `refguard init`: creates refguard's own tables in every configured database. */
export function registerInit(program: Command): void {
  withCommonOptions(program.command('init'))
    .description(
      `create refguard's own tables (${JOBS_TABLE}, ${RUNS_TABLE}, ${ARCHIVE_TABLE}, ${CHECKS_TABLE}, ${VERSIONS_TABLE}) in every configured database, or migrate them; safe to repeat`,
    )
    .action(async (options: CommonOptions) => {
      await runCommand(Boolean(options.json), async () => {
        const config = await loadConfig(options.config)
        const databases = new DatabaseSet(config)
        try {
          const created: string[] = []
          for (const name of Object.keys(config.databases)) {
            const database = await databases.get(name)
            await ensureRepairTables(database.db, database.dialect.family)
            await ensureJobTables(database.db, database.dialect.family)
            await ensureCheckLog(database.db, database.dialect.family)
            created.push(name)
          }
          const tables = [JOBS_TABLE, RUNS_TABLE, ARCHIVE_TABLE, CHECKS_TABLE, VERSIONS_TABLE]
          process.stdout.write(
            options.json
              ? `${JSON.stringify({ ok: true, databases: created, tables })}\n`
              : `${tables.slice(0, -1).join(', ')} and ${tables.at(-1)} are ready in ${created.join(', ')}.\n`,
          )
          return EXIT.clean
        } finally {
          await databases.close()
        }
      })
    })
}
