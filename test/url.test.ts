import { describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config/errors.js'
import { parseDatabaseUrl, redactUrl } from '../src/db/url.js'

describe('database URLs', () => {
  it('recognises every supported scheme', () => {
    expect(parseDatabaseUrl('postgres://u:secret@db.example:6543/app')).toMatchObject({
      dialect: 'postgres',
      host: 'db.example',
      port: 6543,
      database: 'app',
      user: 'u',
      redacted: 'postgres://u:***@db.example:6543/app',
    })
    expect(parseDatabaseUrl('postgresql://h/app')).toMatchObject({ dialect: 'postgres', port: 5432 })
    expect(parseDatabaseUrl('mysql://root@127.0.0.1/test')).toMatchObject({ dialect: 'mysql', port: 3306, database: 'test' })
    expect(parseDatabaseUrl('mariadb://root@127.0.0.1:3307/test')).toMatchObject({
      dialect: 'mysql',
      url: 'mysql://root@127.0.0.1:3307/test',
    })
    expect(parseDatabaseUrl('pglite://memory')).toEqual({ dialect: 'pglite', redacted: 'pglite://memory' })
    expect(parseDatabaseUrl('pglite://data/db', '/srv/app').dataDir).toBe('/srv/app/data/db')
    expect(parseDatabaseUrl('pglite:///var/lib/db').dataDir).toBe('/var/lib/db')
  })

  it('rejects unknown schemes without showing the password', () => {
    const error = (() => {
      try {
        parseDatabaseUrl('oracle://scott:tiger@h/db')
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect(error?.message).toContain('unsupported database URL "oracle://scott:***@h/db"')
    expect(error?.message).not.toContain('tiger')
    expect(error?.message).toContain('pglite://memory')
  })

  it('redacts passwords', () => {
    expect(redactUrl('mysql://root:p%40ss@h/db')).toBe('mysql://root:***@h/db')
    expect(redactUrl('mysql://root@h/db')).toBe('mysql://root@h/db')
  })
})
