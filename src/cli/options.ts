import { type Command, InvalidArgumentError } from 'commander'
import type { ResolvedConfig } from '../config/normalize.js'
import { UsageError } from '../errors.js'

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

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Parses a duration option (`500ms`, `30s`, `5m`, `1h`; a bare number is seconds) into milliseconds. */
export function durationOption(name: string): (value: string) => number {
  return (value) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim())
    if (!match) throw new InvalidArgumentError(`${name} must be a duration such as 90s, 5m or 500ms, got "${value}"`)
    return Number(match[1]) * (UNIT_MS[match[2] ?? 's'] as number)
  }
}

/** `--database NAME` (or the config's default database) as a configured database name; a UsageError listing them otherwise. */
export function databaseOption(config: ResolvedConfig, name: string | undefined): string {
  const chosen = name ?? config.defaultDatabase
  if (!config.databases[chosen]) {
    throw new UsageError(`the config has no database "${chosen}"`, `use one of: ${Object.keys(config.databases).join(', ')}`)
  }
  return chosen
}
