import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createJiti } from 'jiti'
import { ConfigError } from './errors.js'
import { type ResolvedConfig, resolveConfig } from './normalize.js'

/** File names searched for, in this order, in the working directory and each parent. */
export const CONFIG_FILE_NAMES = ['refguard.config.ts', 'refguard.config.mjs', 'refguard.config.js', 'refguard.config.json']

/** The nearest refguard.config.* at or above `startDir`, if any. */
export function findConfigFile(startDir: string = process.cwd()): string | undefined {
  let dir = resolve(startDir)
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name)
      if (existsSync(candidate)) return candidate
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n')
  return `line ${before.length}, column ${(before[before.length - 1] as string).length + 1}`
}

/** Whether parsing `prefix` fails only because the text ends too early (so the error lies further on). */
function endsTooEarly(prefix: string): boolean {
  try {
    JSON.parse(prefix)
    return true
  } catch (error) {
    const message = (error as Error).message
    const position = /at position (\d+)/.exec(message)
    return /end of JSON input|Unterminated string/.test(message) || (position !== null && Number(position[1]) >= prefix.length)
  }
}

/** Offset of the first character that makes `text` invalid JSON: the shortest prefix that fails for another reason than its end. */
function jsonErrorOffset(text: string): number {
  if (endsTooEarly(text)) return text.length
  let low = 0
  let high = text.length
  while (low < high) {
    const middle = Math.floor((low + high) / 2)
    if (endsTooEarly(text.slice(0, middle))) low = middle + 1
    else high = middle
  }
  return low - 1
}

function readJsonConfig(file: string): unknown {
  const text = readFileSync(file, 'utf8')
  try {
    return JSON.parse(text)
  } catch (error) {
    const problem = (error as Error).message.split('\n')[0]
    throw new ConfigError(`invalid JSON at ${lineAndColumn(text, jsonErrorOffset(text))}: ${problem}`, {
      file,
      fix: 'correct the JSON syntax (no comments or trailing commas)',
    })
  }
}

async function importModuleConfig(file: string): Promise<unknown> {
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false })
  try {
    const module = (await jiti.import(file)) as { default?: unknown }
    return module && typeof module === 'object' && 'default' in module ? module.default : module
  } catch (error) {
    throw new ConfigError(`could not load: ${(error as Error).message.split('\n')[0]}`, {
      file,
      fix: 'fix the error above; the file must `export default defineConfig({...})`',
    })
  }
}

/** Replaces `${NAME}` in database URLs with environment variables, so config files need not hold secrets. */
function expandEnvironment(url: string, file: string, name: string): string {
  return url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
    const value = process.env[variable]
    if (value === undefined) {
      throw new ConfigError(`environment variable ${variable} is not set`, {
        file,
        path: `databases.${name}.url`,
        fix: `export ${variable}=... before running refguard`,
      })
    }
    return value
  })
}

/** Loads, validates and resolves a config file; without `file`, searches upward from the working directory. */
export async function loadConfig(file?: string): Promise<ResolvedConfig> {
  const path = file ? resolve(file) : findConfigFile()
  if (!path) {
    throw new ConfigError(`no config file found in ${process.cwd()} or any parent directory`, {
      fix: `create ${CONFIG_FILE_NAMES[0]} (or .mjs/.js/.json), or pass --config FILE`,
    })
  }
  if (!existsSync(path)) throw new ConfigError('config file does not exist', { file: path, fix: 'check the path given to --config' })
  const raw = path.endsWith('.json') ? readJsonConfig(path) : await importModuleConfig(path)
  const config = resolveConfig(raw, { file: path, baseDir: dirname(path) })
  for (const [name, database] of Object.entries(config.databases)) database.url = expandEnvironment(database.url, path, name)
  return config
}
