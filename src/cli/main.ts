import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { registerCheck } from './check.js'
import { registerDemo } from './demo.js'
import { registerInfer } from './infer.js'
import { registerImport } from './import.js'
import { registerInit } from './init.js'
import { registerMigrate } from './migrate.js'
import { registerRepair, registerRestore } from './repair.js'
import { registerStatus } from './status.js'
import { registerSweep } from './sweep.js'
import { registerWorker } from './worker.js'
import { EXIT } from './run-command.js'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

/** Builds the `refguard` command line program. */
export function buildProgram(): Command {
  const program = new Command('refguard')
    .description('Foreign-key guarantees for databases without foreign-key constraints')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  registerInit(program)
  registerCheck(program)
  registerRepair(program)
  registerRestore(program)
  registerInfer(program)
  registerMigrate(program)
  registerImport(program)
  registerWorker(program)
  registerSweep(program)
  registerStatus(program)
  registerDemo(program)
  for (const command of program.commands) command.exitOverride()
  return program
}

/** Runs the CLI with the given arguments (without `node` and the script path). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' })
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error
    const informational = ['commander.helpDisplayed', 'commander.version'].includes(error.code)
    process.exitCode = informational ? EXIT.clean : EXIT.error
  }
}
