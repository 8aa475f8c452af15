import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { ConfigError } from './errors.js'
import { loadConfig } from './load.js'
import { arrayHasItems, endOfLastItem, findRelationsArray, indentationAt } from './source-scan.js'
import type { RelationInput } from './types.js'

/** What adding relations to a config file did. */
export interface AddRelationsResult {
  file: string
  added: RelationInput[]
  alreadyPresent: RelationInput[]
}

interface SideKey {
  database?: string
  schema?: string
  table: string
  columns: string[]
}

function sameSide(a: SideKey, b: SideKey, defaultDatabase: string): boolean {
  return (
    (a.database ?? defaultDatabase) === (b.database ?? defaultDatabase) &&
    (a.schema === undefined || b.schema === undefined || a.schema === b.schema) &&
    a.table === b.table &&
    a.columns.length === b.columns.length &&
    a.columns.every((column, i) => column === b.columns[i])
  )
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** A value as a JavaScript literal: unquoted keys, single-quoted strings, on one line. */
function jsLiteral(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`
  if (Array.isArray(value)) return `[${value.map(jsLiteral).join(', ')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined)
    const fields = entries.map(([key, item]) => `${IDENTIFIER.test(key) ? key : jsLiteral(key)}: ${jsLiteral(item)}`)
    return `{ ${fields.join(', ')} }`
  }
  return JSON.stringify(value)
}

function render(relation: RelationInput, json: boolean): string {
  return json ? JSON.stringify(relation) : jsLiteral(relation)
}

/** The file's text with `items` appended to its relations array, indented like the array's existing items. */
function insertItems(text: string, items: string[], file: string): string {
  const span = findRelationsArray(text)
  if (!span) {
    throw new ConfigError('has no `relations: [...]` array to add relations to', {
      file,
      fix: 'add `relations: []` to the object the file exports, then run again',
    })
  }
  const indent = `${indentationAt(text, span.open)}  `
  if (!arrayHasItems(text, span)) {
    const closeIndent = indentationAt(text, span.open)
    return `${text.slice(0, span.open + 1)}\n${items.map((item) => `${indent}${item}`).join(',\n')}\n${closeIndent}${text.slice(span.close)}`
  }
  const end = endOfLastItem(text, span)
  const itemIndent = indentationAt(text, end - 1)
  const sameLine = !text.slice(span.open, end).includes('\n')
  const lines = items.map((item) => (sameLine ? ` ${item}` : `\n${itemIndent || indent}${item}`))
  const trailingComma = /^\s*,/.exec(text.slice(end))?.[0] ?? ''
  return `${text.slice(0, end)},${lines.join(',')}${trailingComma ? ',' : ''}${text.slice(end + trailingComma.length)}`
}

/** Appends relations to the `relations` array of a refguard.config.{ts,mjs,js,json} file, leaving the rest of the file byte for byte; a relation whose child and parent (tables and columns) the file already has is not added again. */
export async function addRelationsToConfig(file: string, relations: RelationInput[]): Promise<AddRelationsResult> {
  const config = await loadConfig(file)
  const added: RelationInput[] = []
  const alreadyPresent: RelationInput[] = []
  const known: Array<{ child: SideKey; parent: SideKey }> = [...config.relations]
  for (const relation of relations) {
    const present = known.some(
      (existing) =>
        sameSide(existing.child, relation.child, config.defaultDatabase) &&
        sameSide(existing.parent, relation.parent, config.defaultDatabase),
    )
    if (present) alreadyPresent.push(relation)
    else {
      added.push(relation)
      known.push(relation)
    }
  }
  if (added.length > 0) {
    const text = readFileSync(file, 'utf8')
    const json = file.endsWith('.json')
    const updated = insertItems(
      text,
      added.map((relation) => render(relation, json)),
      file,
    )
    const temporary = join(dirname(file), `.refguard-write-${randomBytes(4).toString('hex')}-${basename(file)}`)
    writeFileSync(temporary, updated)
    try {
      await loadConfig(temporary)
    } catch (error) {
      rmSync(temporary, { force: true })
      throw new ConfigError(`adding relations would make the file invalid, so it was left unchanged: ${(error as Error).message}`, {
        file,
        fix: 'make sure `relations` is a plain array literal in the exported config',
      })
    }
    renameSync(temporary, file)
  }
  return { file, added, alreadyPresent }
}
