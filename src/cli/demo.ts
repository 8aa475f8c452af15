import type { Command } from 'commander'
import { runWalkthrough } from '../demo/walkthrough.js'
import { EXIT, runCommand } from './run-command.js'

/** `refguard demo`: a zero-setup tour of refguard check on three example datasets in embedded PGlite. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('guided tour on embedded PGlite (in memory, no server): three example datasets and what refguard check finds')
    .addHelpText(
      'after',
      '\nThe tour builds one in-memory PGlite database with three schemas (kitchen, legacy, shop), declares their relations and runs' +
        '\nrefguard check on each. Nothing is written to disk. Set NO_COLOR=1 for plain output.' +
        '\n\nExit codes: 0 the tour ran to the end (its orphans are the point), 2 it could not run.',
    )
    .action(async () => {
      await runCommand(false, async () => {
        await runWalkthrough((text) => process.stdout.write(text))
        return EXIT.clean
      })
    })
}
