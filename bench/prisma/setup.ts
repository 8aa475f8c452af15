import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** bench/prisma: its own package, so Prisma is never a dependency of refguard. */
export const PRISMA_PACKAGE_DIR = fileURLToPath(new URL('.', import.meta.url))
const NODE_MODULES = join(PRISMA_PACKAGE_DIR, 'node_modules')
/**
 * Generated schemas and clients live under node_modules: ignored by git, by the root's typecheck and by
 * Prettier, and next to the @prisma/client runtime they import.
 */
const GENERATED_DIR = join(NODE_MODULES, '.generated')

/**
 * Prisma 7's CLI downloads a schema-engine binary, which `generate` does not need (it validates with WebAssembly):
 * these settings let it run offline. CHECKPOINT_DISABLE turns off its update check, which would call out too.
 */
const OFFLINE_ENV = {
  PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
  PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
  CHECKPOINT_DISABLE: '1',
  NO_COLOR: '1',
}

/** Installs bench/prisma's dependencies from its package-lock.json (`npm ci`) unless they are installed. */
export function ensureInstalled(): void {
  if (existsSync(join(NODE_MODULES, '.bin', 'prisma')) && existsSync(join(NODE_MODULES, '@prisma', 'adapter-mariadb'))) return
  console.log('installing bench/prisma dependencies (npm ci) ...')
  // --ignore-scripts: @prisma/engines' postinstall would try to download engine binaries, which nothing here uses.
  execFileSync('npm', ['ci', '--prefix', PRISMA_PACKAGE_DIR, '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'inherit' })
}

/** The version a package installed in bench/prisma declares. */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(NODE_MODULES, name, 'package.json'), 'utf8')) as { version: string }).version
}

/** What `prisma generate` made of a schema: the generated client's entry file, or Prisma's reason for refusing it. */
export type GeneratedClient = { ok: true; entry: string } | { ok: false; error: string }

/** Prisma's validation errors, `error: Error validating: …` without the source excerpt under them. */
function validationErrors(output: string): string {
  const code = /Error code: (P\d+)/.exec(output)?.[1]
  const messages = [...output.matchAll(/^error: (?:Error validating: )?(.+)$/gm)].map((match) => match[1]?.trim())
  return [code, ...messages].filter(Boolean).join(': ') || output.trim().split('\n').slice(-3).join(' ')
}

/** Writes `schema` to node_modules/.generated/NAME/schema.prisma and runs `prisma generate` on it offline. */
export function generateClient(name: string, schema: string): GeneratedClient {
  const dir = join(GENERATED_DIR, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  // The generated client is ESM; Node's package scope stops at node_modules, so this folder needs its own.
  writeFileSync(join(GENERATED_DIR, 'package.json'), '{ "type": "module" }\n')
  const schemaFile = join(dir, 'schema.prisma')
  writeFileSync(schemaFile, schema)
  const result = spawnSync(join(NODE_MODULES, '.bin', 'prisma'), ['generate', '--schema', schemaFile], {
    cwd: PRISMA_PACKAGE_DIR,
    env: { ...process.env, ...OFFLINE_ENV },
    encoding: 'utf8',
  })
  if (result.error) throw new Error(`bench/prisma: could not run prisma generate for ${schemaFile}: ${result.error.message}`)
  const entry = join(dir, 'client', 'client.ts')
  if (result.status === 0 && existsSync(entry)) return { ok: true, entry }
  return { ok: false, error: validationErrors(`${result.stdout}\n${result.stderr}`) }
}
