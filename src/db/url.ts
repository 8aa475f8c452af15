import { isAbsolute, resolve } from 'node:path'
import { ConfigError } from '../config/errors.js'

/** The engines refguard talks to. */
export type DialectName = 'postgres' | 'mysql' | 'pglite'

/** A database URL taken apart: the dialect, where it points, and how to show it without secrets. */
export interface DatabaseLocation {
  dialect: DialectName
  /** The URL with any password replaced by `***`. */
  redacted: string
  /** Network URLs: the URL to hand to the driver. */
  url?: string
  /** PGlite: a directory, or undefined for an in-memory database. */
  dataDir?: string
  host?: string
  port?: number
  database?: string
  user?: string
}

const SCHEMES: Record<string, DialectName> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
  'pglite:': 'pglite',
}

/** Replaces the password in a URL (or in text containing it) with `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@')
}

/** Parses a database URL; relative `pglite://` directories resolve against `baseDir`. */
export function parseDatabaseUrl(url: string, baseDir: string = process.cwd()): DatabaseLocation {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url)?.[1]?.toLowerCase()
  const dialect = scheme ? SCHEMES[scheme] : undefined
  const redacted = redactUrl(url)
  if (!dialect) {
    throw new ConfigError(`unsupported database URL "${redacted}"`, {
      fix: 'use postgres://user@host:5432/db, mysql://user@host:3306/db, mariadb://..., pglite://DIR or pglite://memory',
    })
  }
  if (dialect === 'pglite') {
    const path = url.slice('pglite://'.length)
    if (path === '' || path === 'memory') return { dialect, redacted }
    return { dialect, redacted, dataDir: isAbsolute(path) ? path : resolve(baseDir, path) }
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigError(`malformed database URL "${redacted}"`, {
      fix: 'check the URL syntax: scheme://user:password@host:port/database',
    })
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  return {
    dialect,
    redacted,
    url: dialect === 'mysql' ? url.replace(/^mariadb:/i, 'mysql:') : url,
    host: parsed.hostname || 'localhost',
    port: parsed.port ? Number(parsed.port) : dialect === 'postgres' ? 5432 : 3306,
    database: database || undefined,
    user: decodeURIComponent(parsed.username) || undefined,
  }
}
