import { Argument, type Command } from 'commander'
import type { ResolvedConfig } from '../config/normalize.js'
import { loadConfig } from '../config/load.js'
import type { RelationInput } from '../config/types.js'
import { addRelationsToConfig } from '../config/write.js'
import { DatabaseSet } from '../db/database-set.js'
import { UsageError } from '../errors.js'
import { applyStatements, MigrationApplyError } from '../migrate/apply.js'
import type { MigrationStatement } from '../migrate/statement.js'
import { formatToHard, formatToSoft } from '../migrate/text.js'
import { planToHard } from '../migrate/to-hard.js'
import { planToSoft } from '../migrate/to-soft.js'
import { type CommonOptions, collect, withCommonOptions } from './options.js'
import { EXIT, reportError, runCommand } from './run-command.js'

interface MigrateCommandOptions extends CommonOptions {
  apply?: boolean
  relation?: string[]
}

/** Statements as `--json` prints them, with how long each took when applied. */
type StatementOutput = MigrationStatement & { ms?: number }

/** Runs the statements, echoing each on the terminal; on failure reports what took effect and exits 2. */
async function apply(statements: MigrationStatement[], databases: DatabaseSet, json: boolean): Promise<StatementOutput[] | number> {
  const done: StatementOutput[] = []
  try {
    await applyStatements(statements, databases, (statement, ms) => {
      done.push({ ...statement, ms })
      if (!json) process.stdout.write(`done in ${ms} ms: ${statement.sql}\n`)
    })
    return done
  } catch (error) {
    if (!(error instanceof MigrationApplyError) || !json) return reportError(error, json)
    process.stderr.write(`refguard: ${error.message}\n`)
    process.stdout.write(`${JSON.stringify({ ok: false, error: { type: 'apply', message: error.message }, applied: done }, null, 2)}\n`)
    return EXIT.error
  }
}

async function toSoft(config: ResolvedConfig, databases: DatabaseSet, options: MigrateCommandOptions): Promise<number> {
  const json = Boolean(options.json)
  const plan = await planToSoft(config, databases)
  let written: { file: string; added: RelationInput[]; alreadyPresent: number } | undefined
  let statements: StatementOutput[] = plan.statements
  if (plan.problems.length === 0) {
    const result = plan.relations.length > 0 ? await addRelationsToConfig(config.file as string, plan.relations) : undefined
    written = {
      file: config.file as string,
      added: result?.added ?? [],
      alreadyPresent: plan.alreadyPresent.length + (result?.alreadyPresent.length ?? 0),
    }
    if (options.apply) {
      const applied = await apply(plan.statements, databases, json)
      if (typeof applied === 'number') return applied
      statements = applied
    }
  }
  const ok = plan.problems.length === 0
  if (json) {
    const output = { ok, direction: 'to-soft', applied: ok && Boolean(options.apply), config: written, ...plan, statements }
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`)
  } else process.stdout.write(`${formatToSoft(plan, written, ok && Boolean(options.apply))}\n`)
  return ok ? EXIT.clean : EXIT.findings
}

async function toHard(config: ResolvedConfig, databases: DatabaseSet, options: MigrateCommandOptions): Promise<number> {
  const json = Boolean(options.json)
  const plan = await planToHard(config, databases, options.relation ? { relations: options.relation } : {})
  let statements: StatementOutput[] = plan.statements
  if (plan.ok && options.apply) {
    const applied = await apply(plan.statements, databases, json)
    if (typeof applied === 'number') return applied
    statements = applied
  }
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ direction: 'to-hard', applied: plan.ok && Boolean(options.apply), ...plan, statements }, null, 2)}\n`,
    )
  } else process.stdout.write(`${formatToHard(plan, Boolean(options.apply))}\n`)
  return plan.ok ? EXIT.clean : EXIT.findings
}

/** `refguard migrate to-soft|to-hard`: move relations between FOREIGN KEY constraints and refguard's enforcement. */
export function registerMigrate(program: Command): void {
  withCommonOptions(program.command('migrate'))
    .description(
      'to-soft: declared FOREIGN KEYs become relations in the config, then are dropped; to-hard: relations become FOREIGN KEYs after a preflight audit',
    )
    .addArgument(new Argument('<direction>', 'to-soft or to-hard').choices(['to-soft', 'to-hard']))
    .option('--apply', 'run the DDL (default: print it for review)')
    .option('-r, --relation <name>', 'to-hard: only this relation (repeatable)', collect)
    .addHelpText(
      'after',
      [
        '',
        'to-soft writes the relations into the config file (names, columns, actions, MATCH, deferrability kept) and prints the DROP statements.',
        'to-hard audits each relation first (orphans, sentinels, types, parent keys) and changes nothing when one fails;',
        'PostgreSQL gets ADD CONSTRAINT ... NOT VALID + VALIDATE CONSTRAINT and CREATE INDEX CONCURRENTLY, MySQL/MariaDB',
        'ADD CONSTRAINT and ALGORITHM=INPLACE indexes. Running either direction twice changes nothing the second time.',
        '',
        'Exit codes: 0 done (or printed), 1 something stops the migration (listed with fixes; nothing changed), 2 usage, config, connection or DDL error.',
      ].join('\n'),
    )
    .action(async (direction: 'to-soft' | 'to-hard', options: MigrateCommandOptions) => {
      await runCommand(Boolean(options.json), async () => {
        if (direction === 'to-soft' && options.relation) {
          throw new UsageError(
            '--relation applies to to-hard only',
            'to-soft turns every declared FOREIGN KEY into a relation: leave out --relation',
          )
        }
        const config = await loadConfig(options.config)
        const databases = new DatabaseSet(config)
        try {
          return direction === 'to-soft' ? await toSoft(config, databases, options) : await toHard(config, databases, options)
        } finally {
          await databases.close()
        }
      })
    })
}
