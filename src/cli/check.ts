import { writeFileSync } from 'node:fs'
import { type Command, Option } from 'commander'
import { loadBaseline } from '../audit/baseline.js'
import { runCheck } from '../audit/check.js'
import { CHECKS_TABLE, recordCheck } from '../audit/check-log.js'
import type { Severity } from '../audit/finding.js'
import type { CheckReport } from '../audit/report.js'
import { loadConfig } from '../config/load.js'
import { DatabaseSet } from '../db/database-set.js'
import { formatCheckHtml } from '../report/html.js'
import { formatCheckMarkdown } from '../report/markdown.js'
import { formatCheckText } from '../report/text.js'
import { type CommonOptions, collect, durationOption, integerOption, withCommonOptions } from './options.js'
import { progressBar } from './progress.js'
import { EXIT, runCommand } from './run-command.js'

type Format = 'text' | 'json' | 'markdown' | 'html'

interface CheckCommandOptions extends CommonOptions {
  relation?: string[]
  format: Format
  out?: string
  sample: number
  failOn: Severity
  baseline?: string
  maxTime?: number
  chunkRows?: number
  chunkTimeout?: number
  progress: boolean
}

function render(report: CheckReport, format: Format, sample: number): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2)
    case 'markdown':
      return formatCheckMarkdown(report)
    case 'html':
      return formatCheckHtml(report)
    default:
      return formatCheckText(report, sample)
  }
}

/** Exit code of a check: an incomplete count is never clean (2), then findings at or above --fail-on (1). */
export function checkExitCode(report: CheckReport): number {
  if (!report.complete) return EXIT.error
  return report.ok ? EXIT.clean : EXIT.findings
}

/** Records the run for `refguard status`, best effort: a check must report the same whether or not its log can be written. */
async function logCheck(name: string, databases: DatabaseSet, report: CheckReport): Promise<void> {
  try {
    const database = await databases.get(name)
    await recordCheck(database.db, database.dialect.family, report)
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    process.stderr.write(`refguard: check not recorded in ${CHECKS_TABLE}, so refguard status will not show it: ${reason}\n`)
  }
}

/** `refguard check`: orphans, sentinels, type and index problems of every relation. */
export function registerCheck(program: Command): void {
  withCommonOptions(program.command('check'))
    .description('audit every relation: orphans, sentinel values, type mismatches, missing indexes, cycles, and how to fix them')
    .option('-r, --relation <name>', 'check only this relation (repeatable)', collect)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown', 'html']).default('text'))
    .option('--out <file>', 'write the report to a file instead of stdout (e.g. --format html --out report.html)')
    .option('--sample <k>', 'orphaned keys to show per relation', integerOption('--sample'), 5)
    .addOption(new Option('--fail-on <severity>', 'lowest severity that fails the run').choices(['error', 'warning']).default('error'))
    .option('--baseline <file>', 'an earlier `check --json` output: only findings new since then (or grown) fail')
    .option(
      '--max-time <duration>',
      'stop counting after this long (90s, 5m); what is left is reported incomplete',
      durationOption('--max-time'),
    )
    .option(
      '--chunk-rows <n>',
      'rows per chunk for large child tables (default 1,000,000; primary-key chunks at least 4 x parent rows)',
      integerOption('--chunk-rows'),
    )
    .option('--chunk-timeout <duration>', 'time limit for each chunk statement (e.g. 60s)', durationOption('--chunk-timeout'))
    .option('--no-progress', 'no progress bar on the terminal')
    .addHelpText(
      'after',
      '\nLarge child tables are read in keyset chunks over their primary key, one statement each: no long transaction,' +
        '\nno locks, fine on a read-only user or a replica.' +
        '\n\nExit codes: 0 clean, 1 findings at or above --fail-on (not in --baseline),' +
        '\n2 usage, config or connection error, or an incomplete count (--max-time, --chunk-timeout).',
    )
    .action(async (options: CheckCommandOptions) => {
      const format: Format = options.json ? 'json' : options.format
      await runCommand(format === 'json', async () => {
        const config = await loadConfig(options.config)
        const baseline = options.baseline ? loadBaseline(options.baseline) : undefined
        const databases = new DatabaseSet(config)
        const progress = progressBar(process.stderr)
        try {
          const report = await runCheck(config, databases, {
            ...(options.relation ? { relations: options.relation } : {}),
            sample: options.sample,
            failOn: options.failOn,
            ...(baseline ? { baseline } : {}),
            ...(options.maxTime !== undefined ? { maxTimeMs: options.maxTime } : {}),
            ...(options.chunkRows !== undefined ? { chunkRows: Math.max(1, options.chunkRows) } : {}),
            ...(options.chunkTimeout !== undefined ? { chunkTimeoutMs: options.chunkTimeout } : {}),
            ...(options.progress ? { onProgress: progress.update } : {}),
          })
          progress.clear()
          const output = render(report, format, options.sample)
          if (options.out) writeFileSync(options.out, `${output}\n`)
          else process.stdout.write(`${output}\n`)
          if (options.out && format !== 'json') process.stderr.write(`refguard: report written to ${options.out}\n`)
          await logCheck(config.defaultDatabase, databases, report)
          return checkExitCode(report)
        } finally {
          progress.clear()
          await databases.close()
        }
      })
    })
}
