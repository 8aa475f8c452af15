import type { Command } from 'commander'

/** `refguard demo`: placeholder until the walkthrough lands. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('embedded PGlite walkthrough')
    .action(() => {})
}
