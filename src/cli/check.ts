import { writeFileSync } from 'node:fs'
import { type Command, Option } from 'commander'
import { runCheck } from '../audit/check.js'
import { loadConfig } from '../config/load.js'
import { DatabaseSet } from '../db/database-set.js'
import { formatCheckText } from '../report/text.js'
import { type CommonOptions, collect, integerOption, withCommonOptions } from './options.js'
import { EXIT, runCommand } from './run-command.js'

interface CheckCommandOptions extends CommonOptions {
  relation?: string[]
  format: 'text' | 'json'
  out?: string
  sample: number
}

/** `refguard check`: orphans and schema problems of every relation. */
export function registerCheck(program: Command): void {
  withCommonOptions(program.command('check'))
    .description('count orphaned rows of every relation (one anti-join per relation) and report schema problems')
    .option('-r, --relation <name>', 'check only this relation (repeatable)', collect)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--out <file>', 'write the report to a file instead of stdout')
    .option('--sample <k>', 'orphaned keys to show per relation', integerOption('--sample'), 5)
    .addHelpText('after', '\nExit codes: 0 clean, 1 orphans or other errors found, 2 usage, config or connection error.')
    .action(async (options: CheckCommandOptions) => {
      const json = Boolean(options.json) || options.format === 'json'
      await runCommand(json, async () => {
        const config = await loadConfig(options.config)
        const databases = new DatabaseSet(config)
        try {
          const report = await runCheck(config, databases, { relations: options.relation, sample: options.sample })
          const output = json ? JSON.stringify(report, null, 2) : formatCheckText(report, options.sample)
          if (options.out) writeFileSync(options.out, `${output}\n`)
          else process.stdout.write(`${output}\n`)
          return report.ok ? EXIT.clean : EXIT.findings
        } finally {
          await databases.close()
        }
      })
    })
}
