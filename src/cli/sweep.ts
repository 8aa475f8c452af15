import { Cron } from 'croner'
import type { Command } from 'commander'
import { loadConfig } from '../config/load.js'
import { createGuard, type Guard } from '../enforce/guard.js'
import { UsageError } from '../errors.js'
import type { SweepReport } from '../sweep/sweep.js'
import { type CommonOptions, integerOption, withCommonOptions } from './options.js'
import { EXIT, runCommand } from './run-command.js'

interface SweepCommandOptions extends CommonOptions {
  once?: boolean
  cron?: string
  batchSize: number
}

function formatReport(report: SweepReport): string {
  const lines = [`sweep: ${report.rounds} round(s) in ${report.ms} ms${report.stopped ? ' (stopped early; run it again to go on)' : ''}`]
  for (const relation of report.relations) {
    const failure = relation.error ? `, FAILED: ${relation.error.split('\n')[0]}` : ''
    lines.push(
      `  ${relation.relation} (on delete ${relation.action}): ${relation.rows} child rows in ${relation.batches} batch(es)${failure}`,
    )
  }
  for (const table of report.tables) {
    const left = table.keepParent ? `${table.remaining} soft-deleted rows kept (keepParent)` : `${table.remaining} left`
    lines.push(`  ${table.table}: ${table.deleted} soft-deleted rows deleted, ${left}`)
  }
  return lines.join('\n')
}

function print(report: SweepReport, json: boolean, cron: boolean): void {
  const text = json ? JSON.stringify(report, null, cron ? undefined : 2) : formatReport(report)
  process.stdout.write(`${text}\n`)
}

function schedule(expression: string): Cron {
  try {
    return new Cron(expression, { protect: true })
  } catch (error) {
    throw new UsageError(
      `--cron "${expression}" is not a cron expression: ${(error as Error).message}`,
      'use five or six fields, e.g. --cron "*/5 * * * *" (every 5 minutes)',
    )
  }
}

/** Runs the sweep on a cron schedule until SIGTERM or SIGINT, which let the batch under way finish. */
async function runOnSchedule(guard: Guard, cron: Cron, options: SweepCommandOptions): Promise<number> {
  const json = Boolean(options.json)
  const controller = new AbortController()
  let failed = false
  let running: Promise<void> = Promise.resolve()
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      controller.abort()
      cron.stop()
      resolve()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  cron.schedule(() => {
    running = guard
      .sweep({ batchSize: options.batchSize, signal: controller.signal })
      .then((report) => {
        failed ||= !report.ok
        print(report, json, true)
      })
      .catch((error: unknown) => {
        failed = true
        process.stderr.write(`refguard sweep: ${error instanceof Error ? error.message : String(error)} (trying again at the next run)\n`)
      })
    return running
  })
  process.stderr.write(`refguard sweep: scheduled "${options.cron}", next run ${cron.nextRun()?.toISOString() ?? 'never'}\n`)
  await stopped
  await running
  return failed ? EXIT.findings : EXIT.clean
}

/** `refguard sweep`: scheduled mode's sweeper, once or on a cron schedule. */
export function registerSweep(program: Command): void {
  withCommonOptions(program.command('sweep'))
    .description('scheduled mode: act on the children of soft-deleted parents in batches, then delete the parents (unless keepParent)')
    .option('--once', 'sweep until nothing is left to do, then exit (the default)')
    .option('--cron <expr>', 'sweep on a cron schedule (croner syntax, e.g. "*/5 * * * *") until SIGTERM or SIGINT')
    .option('--batch-size <n>', 'child rows per batch, each in its own short transaction', integerOption('--batch-size'), 1000)
    .addHelpText(
      'after',
      '\nEvery batch is its own transaction and the sweep keeps no state: a sweep that is killed loses nothing, and the next' +
        '\none (or two at once) finishes the work. With --cron a run that is still going when the next is due is not doubled.' +
        '\n--json prints one object per run (one line each with --cron).' +
        '\nExit codes: 0 done, 1 a relation could not be swept (see FAILED), 2 usage, config or connection error.',
    )
    .action(async (options: SweepCommandOptions) => {
      const json = Boolean(options.json)
      await runCommand(json, async () => {
        if (options.once && options.cron !== undefined) throw new UsageError('--once and --cron exclude each other', 'give one of them')
        const cron = options.cron === undefined ? undefined : schedule(options.cron)
        const guard = await createGuard(await loadConfig(options.config))
        try {
          if (cron) return await runOnSchedule(guard, cron, options)
          const report = await guard.sweep({ batchSize: options.batchSize })
          print(report, json, false)
          return report.ok ? EXIT.clean : EXIT.findings
        } finally {
          await guard.close()
        }
      })
    })
}
