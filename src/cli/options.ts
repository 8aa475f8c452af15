import { type Command, InvalidArgumentError } from 'commander'

/** Options every command takes. */
export interface CommonOptions {
  config?: string
  json?: boolean
}

/** Adds `--config FILE` and `--json` to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: search upward for refguard.config.{ts,mjs,js,json})')
    .option('--json', 'print one machine-readable JSON object on stdout and nothing else')
}

/** Parses a non-negative integer option value. */
export function integerOption(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`)
    return Number(value)
  }
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}
