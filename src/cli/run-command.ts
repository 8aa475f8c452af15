import { SchemaMismatchError } from '../audit/errors.js'
import { ConfigError } from '../config/errors.js'
import { ConnectionError } from '../db/errors.js'
import { UsageError } from '../errors.js'
import { TransportError } from '../queue/transports/errors.js'

/** Exit codes of every command: clean, findings, usage/config/connection error. */
export const EXIT = { clean: 0, findings: 1, error: 2 } as const

function errorType(error: unknown): string {
  if (error instanceof ConfigError) return 'config'
  if (error instanceof ConnectionError || error instanceof TransportError) return 'connection'
  if (error instanceof UsageError) return 'usage'
  if (error instanceof SchemaMismatchError) return 'schema'
  return 'internal'
}

/** Reports an error the way every command does: text on stderr, and a JSON object on stdout with --json. */
export function reportError(error: unknown, json: boolean): number {
  const type = errorType(error)
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`refguard: ${message}\n`)
  if (type === 'internal' && process.env.REFGUARD_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`)
  if (json) {
    const findings = error instanceof SchemaMismatchError ? error.findings : undefined
    process.stdout.write(`${JSON.stringify({ ok: false, error: { type, message }, ...(findings ? { findings } : {}) }, null, 2)}\n`)
  }
  return EXIT.error
}

/** Runs a command body and sets the process exit code from its result or its error. */
export async function runCommand(json: boolean, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body()
  } catch (error) {
    process.exitCode = reportError(error, json)
  }
}
