import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfigError } from '../src/config/errors.js'
import { findConfigFile, loadConfig } from '../src/config/load.js'
import { resolveConfig } from '../src/config/normalize.js'
import { writeTempFiles } from './support/cli.js'

const databases = { main: { url: 'pglite://memory' } }

function configError(raw: unknown): ConfigError {
  try {
    resolveConfig(raw, { file: '/app/refguard.config.ts' })
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('resolveConfig', () => {
  it('applies defaults, the default database and PostgreSQL-style names', () => {
    const config = resolveConfig({
      databases: { billing: 'postgres://x@h/b', main: 'pglite://memory' },
      defaults: { onDelete: 'restrict', mode: 'queued' },
      relations: [
        'orders(customer_id) -> billing:customers(id)',
        { name: 'x', child: { table: 'a', columns: 'p' }, parent: { table: 'b', columns: ['q'] }, onDelete: 'SET_NULL' },
      ],
    })
    expect(config.defaultDatabase).toBe('main')
    expect(config.relations[0]).toMatchObject({
      name: 'orders_customer_id_fkey',
      child: { database: 'main' },
      parent: { database: 'billing' },
      onDelete: 'restrict',
      onUpdate: 'no action',
      mode: 'queued',
    })
    expect(config.relations[1]).toMatchObject({ name: 'x', child: { columns: ['p'] }, onDelete: 'set null' })
  })

  it.each([
    [
      { databases, relations: [{ child: { table: 'a', colums: ['x'] }, parent: { table: 'b', columns: ['y'] } }] },
      'relations[0].child',
      'unknown key "colums" (did you mean "columns"?)',
    ],
    [
      { databases, relations: [{ child: { table: 'a', columns: ['x'] }, parent: { table: 'b', columns: ['y'] }, onDelete: 'explode' }] },
      'relations[0].onDelete',
      'use one of: cascade, restrict, no action, set null, set default',
    ],
    [{ databases, relations: ['a(x, y) -> b(z)'] }, 'relations[0]', 'child has 2 column(s) (x, y) but parent has 1 (z)'],
    [
      { databases, relations: ['a(x) -> b(y)', 'a(x) -> c(y)'] },
      'relations[1]',
      'relation name "a_x_fkey" is already used by relations[0]',
    ],
    [{ databases, relations: ['a(x) -> billng:b(y)'] }, 'relations[0]', 'unknown database "billng"'],
    [{ databases, relations: ['a(x) -> b(y) on delete explode'] }, 'relations[0]', 'at column 24'],
    [{ databases, relations: ['a(x, y) -> b(p, q) on delete set null (z)'] }, 'relations[0]', 'onDeleteSetColumns names "z"'],
    [{ databases, relations: ['a(x) -> b(y) initially deferred'] }, 'relations[0]', 'initiallyDeferred needs deferrable: true'],
    [{ databases: {}, relations: [] }, 'databases', 'needs at least one database'],
    [{ databses: databases, relations: [] }, '', 'unknown key "databses" (did you mean "databases"?)'],
  ])('rejects bad input with file, path, problem and fix (%#)', (raw, path, problem) => {
    const error = configError(raw)
    expect(error.message.startsWith(`/app/refguard.config.ts${path ? `: ${path}` : ''}`)).toBe(true)
    expect(error.message).toContain(problem)
    expect(error.message).toContain('fix: ')
  })

  it('rejects a config that is not an object', () => {
    expect(configError([]).message).toContain('the config must be an object with "databases" and "relations"')
  })
})

describe('loadConfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('loads .ts (with defineConfig), .mjs, .js and .json files to the same config', async () => {
    const relations = "['steps(recipe_id) -> recipes(id) on delete cascade']"
    const body = `{ databases: { main: { url: 'pglite://memory' } }, relations: ${relations} }`
    const dir = writeTempFiles({
      'a.ts': `import { defineConfig } from '${join(process.cwd(), 'src/index.ts')}'\nconst x: number = 1\nexport default defineConfig(${body})\n`,
      'b.mjs': `export default ${body}\n`,
      'c.js': `export default ${body}\n`,
      'd.json': JSON.stringify({
        databases: { main: { url: 'pglite://memory' } },
        relations: ['steps(recipe_id) -> recipes(id) on delete cascade'],
      }),
    })
    const loaded = await Promise.all(['a.ts', 'b.mjs', 'c.js', 'd.json'].map((name) => loadConfig(join(dir, name))))
    for (const config of loaded) expect(config.relations).toEqual(loaded[3]?.relations)
    expect(loaded[0]?.relations[0]?.onDelete).toBe('cascade')
    expect(loaded[0]?.file).toBe(join(dir, 'a.ts'))
  })

  it('searches upward from the working directory', () => {
    const dir = writeTempFiles({ 'refguard.config.json': '{}' })
    mkdirSync(join(dir, 'deep', 'er'), { recursive: true })
    expect(findConfigFile(join(dir, 'deep', 'er'))).toBe(join(dir, 'refguard.config.json'))
  })

  it('names line and column of invalid JSON', async () => {
    const dir = writeTempFiles({ 'bad.json': '{\n  "databases": {},\n  "relations": [,]\n}' })
    const error = await loadConfig(join(dir, 'bad.json')).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toContain(`${join(dir, 'bad.json')}: invalid JSON at line 3, column 17`)
  })

  it('reports a TypeScript config that does not load', async () => {
    const dir = writeTempFiles({ 'refguard.config.ts': 'export default {{ databases' })
    const error = await loadConfig(join(dir, 'refguard.config.ts')).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toContain(`${join(dir, 'refguard.config.ts')}: could not load`)
  })

  it('reports a missing file and expands ${VARIABLES} in URLs', async () => {
    const missing = await loadConfig('/nonexistent/refguard.config.json').catch((e) => e)
    expect(missing.message).toContain('config file does not exist')
    const dir = writeTempFiles({ 'c.json': JSON.stringify({ databases: { main: '${RG_TEST_URL}' }, relations: [] }) })
    const unset = await loadConfig(join(dir, 'c.json')).catch((e) => e)
    expect(unset.message).toContain('databases.main.url: environment variable RG_TEST_URL is not set')
    vi.stubEnv('RG_TEST_URL', 'pglite://memory')
    expect((await loadConfig(join(dir, 'c.json'))).databases.main?.url).toBe('pglite://memory')
  })

  it('resolves pglite directories against the config file', async () => {
    const dir = writeTempFiles({ 'c.json': JSON.stringify({ databases: { main: 'pglite://data' }, relations: [] }) })
    expect((await loadConfig(join(dir, 'c.json'))).baseDir).toBe(dir)
    writeFileSync(join(dir, 'c.json'), '[]')
    await expect(loadConfig(join(dir, 'c.json'))).rejects.toThrow('the config must be an object')
  })
})
