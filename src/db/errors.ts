import type { DatabaseLocation } from './url.js'

/** A database that cannot be reached or refuses the login; never shows the password. */
export class ConnectionError extends Error {
  constructor(
    readonly database: string,
    readonly location: DatabaseLocation,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`cannot connect to database "${database}" (${describeLocation(location)}): ${reason}\n  fix: ${fix}`)
    this.name = 'ConnectionError'
  }
}

function describeLocation(location: DatabaseLocation): string {
  if (location.dialect === 'pglite') return location.dataDir ? `PGlite at ${location.dataDir}` : 'PGlite in memory'
  const engine = location.dialect === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'
  const parts = [`${engine} at ${location.host}:${location.port}`]
  if (location.database) parts.push(`database ${location.database}`)
  if (location.user) parts.push(`user ${location.user}`)
  return parts.join(', ')
}

function errorCodes(error: unknown): string[] {
  const codes: string[] = []
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return
    const code = (value as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
    for (const inner of (value as { errors?: unknown[] }).errors ?? []) visit(inner)
  }
  visit(error)
  return codes
}

/** Translates a driver's connection failure into a ConnectionError that says what to do. */
export function connectionFailure(database: string, location: DatabaseLocation, error: unknown): ConnectionError {
  const codes = errorCodes(error)
  const message = (error as Error)?.message ?? String(error)
  const has = (...wanted: string[]) => wanted.some((code) => codes.includes(code))
  const fail = (reason: string, fix: string) => new ConnectionError(database, location, reason, fix)
  if (has('ECONNREFUSED')) return fail('connection refused', 'start the server, or correct the host and port in the URL')
  if (has('ENOTFOUND', 'EAI_AGAIN')) return fail(`host "${location.host}" not found`, 'correct the host name in the URL')
  if (has('ETIMEDOUT') || /timeout/i.test(message)) return fail('timed out', 'check that the host is reachable and the port is open')
  if (has('28P01', 'ER_ACCESS_DENIED_ERROR', '28000') || /password|access denied|authentication/i.test(message)) {
    const placeholder = '${DB_PASSWORD}'
    return fail(
      'authentication failed (wrong user or password)',
      `correct the user and password in the URL (a placeholder such as ${placeholder} keeps it out of the file)`,
    )
  }
  if (has('3D000', 'ER_BAD_DB_ERROR')) {
    return fail(`database "${location.database}" does not exist`, 'create it, or correct the database name in the URL')
  }
  return fail(redactSecrets(message, location), 'check the URL and that the server accepts connections')
}

function redactSecrets(message: string, location: DatabaseLocation): string {
  const password = location.url ? new URL(location.url).password : ''
  return password ? message.split(decodeURIComponent(password)).join('***') : message
}
