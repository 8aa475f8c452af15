import type { Command } from 'commander'
import type { CheckSummary } from '../audit/check-log.js'
import { loadConfig } from '../config/load.js'
import { DatabaseSet } from '../db/database-set.js'
import { type QueueStatus, readQueueStatus } from '../queue/status.js'
import { assertJobTables } from '../queue/tables.js'
import { formatTable } from '../report/table.js'
import { type CommonOptions, databaseOption, withCommonOptions } from './options.js'
import { EXIT, runCommand } from './run-command.js'

function age(seconds: number | null): string {
  if (seconds === null) return '-'
  if (seconds < 120) return `${seconds.toFixed(1)} s`
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`

function formatLastCheck(check: CheckSummary | null): string {
  if (!check) return 'Last check: none recorded (run refguard check; refguard init creates the log)'
  const at = `${check.at.slice(0, 19).replace('T', ' ')} UTC`
  const counts = [
    plural(check.relations, 'relation'),
    plural(check.orphans, 'orphan'),
    plural(check.errors, 'error'),
    plural(check.warnings, 'warning'),
  ]
  const verdict = check.complete ? '' : ', incomplete'
  return `Last check: ${at} — ${counts.join(', ')} (${(check.ms / 1000).toFixed(1)} s${verdict})`
}

function formatQueue(status: QueueStatus): string {
  if (status.relations.length === 0) return 'No queued relations and no jobs.'
  const header = ['relation', 'pending', 'running', 'failed', 'dead', 'done/min', 'oldest']
  const rows = [...status.relations, { relation: 'total', configured: true, ...status.totals }].map((entry) => [
    entry.configured ? entry.relation : `${entry.relation} (not configured)`,
    String(entry.pending),
    String(entry.running),
    String(entry.failed),
    String(entry.dead),
    String(entry.doneLastMinute),
    age(entry.oldestPendingSeconds),
  ])
  const lines = [formatTable(header, rows, [false, true, true, true, true, true, true])]
  if (status.deadJobs.length > 0) {
    lines.push('', 'Dead jobs (newest first)')
    for (const job of status.deadJobs) {
      lines.push(`  job ${job.id} ${job.relation} (${job.action}), ${job.attempts} attempts: ${(job.error ?? '').split('\n')[0]}`)
    }
  }
  return lines.join('\n')
}

function formatStatus(status: QueueStatus): string {
  return `${formatQueue(status)}\n\n${formatLastCheck(status.lastCheck)}`
}

/** `refguard status`: the queue of each queued relation and the last recorded check; exit 1 when a job is dead. */
export function registerStatus(program: Command): void {
  withCommonOptions(program.command('status'))
    .description(
      'queued cascades: pending, running, failed and dead jobs per relation, oldest job age, jobs done in the last minute, and the last recorded check',
    )
    .option(
      '--database <name>',
      "the configured database whose refguard_jobs to read (default: the config's default database); a relation's jobs are in its parent table's database",
    )
    .addHelpText('after', '\nExit codes: 0 no dead job, 1 dead jobs exist (see "Dead jobs"), 2 usage, config or connection error.')
    .action(async (options: CommonOptions & { database?: string }) => {
      await runCommand(Boolean(options.json), async () => {
        const config = await loadConfig(options.config)
        const name = databaseOption(config, options.database)
        const databases = new DatabaseSet(config)
        try {
          const database = await databases.get(name)
          await assertJobTables(database.db)
          // The outbox holds the jobs of parent writes made in its database: relations whose parent table is there.
          const relations = config.relations.filter((relation) => relation.parent.database === name)
          const status = await readQueueStatus(database.db, database.dialect.family, relations)
          process.stdout.write(`${options.json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`)
          return status.ok ? EXIT.clean : EXIT.findings
        } finally {
          await databases.close()
        }
      })
    })
}
