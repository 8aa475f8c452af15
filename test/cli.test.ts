import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, writeTempFiles } from './support/cli.js'

function configWith(url: string): string {
  return JSON.stringify({ databases: { main: { url } }, relations: ['orders(customer_id) -> customers(id)'] })
}

describe('refguard CLI', () => {
  it('has --help for the program and every command', async () => {
    const top = await runCli(['--help'])
    expect(top.code).toBe(0)
    for (const command of ['check', 'demo']) {
      expect(top.stdout).toContain(command)
      const help = await runCli([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`Usage: refguard ${command}`)
    }
    expect((await runCli(['check', '--help'])).stdout).toContain('--sample <k>')
  })

  it('exits 2 on an unknown command or a bad option value', async () => {
    const unknown = await runCli(['chek'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'chek'")
    const sample = await runCli(['check', '--sample', 'lots'])
    expect(sample.code).toBe(2)
    expect(sample.stderr).toContain('--sample must be a whole number, got "lots"')
  })

  it('exits 2 without a config file, saying where it looked', async () => {
    const dir = writeTempFiles({})
    const result = await runCli(['check'], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`no config file found in ${dir} or any parent directory`)
    const json = await runCli(['check', '--json'], { cwd: dir })
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { type: 'config' } })
  })

  it('exits 2 on invalid JSON and TypeScript configs, naming the file', async () => {
    const dir = writeTempFiles({ 'bad.json': '{ "databases": { } ,, }', 'bad.ts': 'export default defineConfig({ databases: {' })
    const json = await runCli(['check', '--config', join(dir, 'bad.json')])
    expect(json.code).toBe(2)
    expect(json.stderr).toContain(`${join(dir, 'bad.json')}: invalid JSON at line 1, column 21`)
    const ts = await runCli(['check', '--config', join(dir, 'bad.ts')])
    expect(ts.code).toBe(2)
    expect(ts.stderr).toContain(`${join(dir, 'bad.ts')}: could not load`)
  })

  it('exits 2 on an unknown dialect in the URL', async () => {
    const dir = writeTempFiles({ 'c.json': configWith('sqlserver://sa:hunter2@h/db') })
    const result = await runCli(['check', '--config', join(dir, 'c.json')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('unsupported database URL "sqlserver://sa:***@h/db"')
    expect(result.stderr).not.toContain('hunter2')
  })

  it('exits 2 on an unreachable host, naming host, port and database', async () => {
    const dir = writeTempFiles({
      'pg.json': configWith('postgres://postgres:s3cret@127.0.0.1:1/shop'),
      'my.json': configWith('mysql://root@127.0.0.1:1/shop'),
    })
    const pg = await runCli(['check', '--config', join(dir, 'pg.json')])
    expect(pg.code).toBe(2)
    expect(pg.stderr).toContain(
      'cannot connect to database "main" (PostgreSQL at 127.0.0.1:1, database shop, user postgres): connection refused',
    )
    expect(pg.stderr).not.toContain('s3cret')
    const my = await runCli(['check', '--config', join(dir, 'my.json')])
    expect(my.code).toBe(2)
    expect(my.stderr).toContain('(MySQL/MariaDB at 127.0.0.1:1, database shop, user root): connection refused')
  })

  it('exits 2 on a wrong password or a missing database, never printing the password', async () => {
    const dir = writeTempFiles({
      'password.json': configWith('mysql://root:not-the-password@127.0.0.1:3306/test'),
      'missing.json': configWith('postgres://postgres@127.0.0.1:5432/rg_no_such_database'),
    })
    const password = await runCli(['check', '--config', join(dir, 'password.json')])
    expect(password.code).toBe(2)
    expect(password.stderr).toContain('authentication failed (wrong user or password)')
    expect(password.stderr).not.toContain('not-the-password')
    const missing = await runCli(['check', '--config', join(dir, 'missing.json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('database "rg_no_such_database" does not exist')
  })
})
