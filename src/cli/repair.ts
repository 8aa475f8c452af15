import type { Command } from 'commander'
import { loadConfig } from '../config/load.js'
import { type Database, openDatabase } from '../db/connect.js'
import { UsageError } from '../errors.js'
import { mysqlReplicaLag } from '../repair/throttle.js'
import { DatabaseSet } from '../db/database-set.js'
import { parseStrategies } from '../repair/plan.js'
import { runRepair } from '../repair/repair.js'
import { runRestore } from '../repair/restore.js'
import { formatRepairText, formatRestoreText } from '../report/repair-text.js'
import { type CommonOptions, collect, durationOption, integerOption, withCommonOptions } from './options.js'
import { progressBar } from './progress.js'
import { EXIT, runCommand } from './run-command.js'

interface RepairCommandOptions extends CommonOptions {
  relation?: string[]
  strategy?: string[]
  apply?: boolean
  alter?: boolean
  batchSize: number
  sleep: number
  maxTime?: number
  archive: string
  resume?: string
  replica?: string
  maxLag?: number
  progress: boolean
}

/** `refguard repair`: plans (default) or applies the cleanup of orphans and sentinels, archived and undoable. */
export function registerRepair(program: Command): void {
  withCommonOptions(program.command('repair'))
    .description('clean up orphans and sentinel values in short archived batches, parents first (dry run unless --apply)')
    .option('-r, --relation <name>', 'repair only this relation (repeatable)', collect)
    .option(
      '--strategy <name=strategy>',
      'delete, set-null, set-default or ignore for one relation (repeatable; default: its ON DELETE)',
      collect,
    )
    .option('--apply', 'change data (default: print the plan only)')
    .option('--alter', 'with --apply: also run the ALTER TABLE a sentinel step needs (NOT NULL -> NULL)')
    .option('--batch-size <n>', 'rows per batch, each in its own short transaction', integerOption('--batch-size'), 1000)
    .option('--sleep <ms>', 'pause between batches, in milliseconds', integerOption('--sleep'), 0)
    .option('--max-time <duration>', 'stop after this long (the run can be resumed)', durationOption('--max-time'))
    .option('--archive <where>', 'table (refguard_archive) or file:PATH (JSONL, fsynced per batch)', 'table')
    .option('--resume <run-id>', 'continue an interrupted run where its last committed batch ended')
    .option('--replica <url>', 'MySQL/MariaDB replica to watch with --max-lag')
    .option('--max-lag <seconds>', 'pause batches while the --replica is more than this many seconds behind', integerOption('--max-lag'))
    .option('--no-progress', 'no progress bar on the terminal')
    .addHelpText('after', '\nExit codes: 0 done (or nothing to do), 1 plan has work (dry run) or orphans remain, 2 error or stopped early.')
    .action(async (options: RepairCommandOptions) => {
      await runCommand(Boolean(options.json), async () => {
        const config = await loadConfig(options.config)
        const databases = new DatabaseSet(config)
        const progress = progressBar(process.stderr)
        const replica = await openReplica(options)
        try {
          const report = await runRepair(config, databases, {
            ...(replica ? { replica: { readLag: mysqlReplicaLag(replica.db), maxLagSeconds: options.maxLag as number } } : {}),
            ...(options.relation ? { relations: options.relation } : {}),
            strategies: parseStrategies(options.strategy ?? [], config.relations),
            apply: Boolean(options.apply),
            alter: Boolean(options.alter),
            batchSize: Math.max(1, options.batchSize),
            sleepMs: options.sleep,
            archive: options.archive,
            ...(options.maxTime !== undefined ? { maxTimeMs: options.maxTime } : {}),
            ...(options.resume ? { resume: options.resume } : {}),
            ...(options.progress ? { onProgress: progress.update } : {}),
          })
          progress.clear()
          process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : formatRepairText(report)}\n`)
          if (report.applied && !report.complete) return EXIT.error
          return report.remainingOrphans > 0 && (report.applied || report.steps.length > 0) ? EXIT.findings : EXIT.clean
        } finally {
          progress.clear()
          await replica?.close()
          await databases.close()
        }
      })
    })
}

/** The replica `--max-lag` watches; both options or neither. */
async function openReplica(options: RepairCommandOptions): Promise<Database | undefined> {
  if (options.replica === undefined && options.maxLag === undefined) return undefined
  if (options.replica === undefined || options.maxLag === undefined) {
    throw new UsageError('--max-lag and --replica go together', 'pass both: --replica mysql://user@replica:3306/db --max-lag 5')
  }
  const replica = await openDatabase('replica', options.replica)
  if (replica.dialect.family !== 'mysql') {
    await replica.close()
    throw new UsageError('--max-lag watches MySQL/MariaDB replicas', 'on PostgreSQL, pace the repair with --sleep')
  }
  return replica
}

interface RestoreCommandOptions extends CommonOptions {
  apply?: boolean
  archive?: string
  relation?: string[]
}

/** `refguard restore RUN_ID`: puts back what a repair run changed. */
export function registerRestore(program: Command): void {
  withCommonOptions(program.command('restore'))
    .description('put back every row a repair run deleted or changed, exactly as archived (dry run unless --apply)')
    .argument('<run-id>', 'the run id that repair printed')
    .option('--apply', 'change data (default: print what would be restored)')
    .option('--archive <where>', 'read the rows from file:PATH instead of where the run archived them')
    .option('-r, --relation <name>', 'restore only the rows of this relation (repeatable)', collect)
    .action(async (runId: string, options: RestoreCommandOptions) => {
      await runCommand(Boolean(options.json), async () => {
        const config = await loadConfig(options.config)
        const databases = new DatabaseSet(config)
        try {
          const report = await runRestore(config, databases, runId, {
            apply: Boolean(options.apply),
            ...(options.archive ? { archive: options.archive } : {}),
            ...(options.relation ? { relations: options.relation } : {}),
          })
          process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : formatRestoreText(report)}\n`)
          return EXIT.clean
        } finally {
          await databases.close()
        }
      })
    })
}
