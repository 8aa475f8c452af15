/** The rows of a `COPY table (columns) FROM stdin` block, with `\N` as null. */
export interface CopyBlock {
  table: string
  columns: string[]
  rows: Array<Array<string | null>>
}

/** One step of a psql script: an SQL statement, or a COPY block with its data. */
export type PsqlItem = { sql: string } | { copy: CopyBlock }

const COPY_FROM_STDIN = /^copy\s+(\S+)\s*\(([^)]*)\)\s+from\s+stdin$/i
const CONFORMING_STRINGS = /^set\s+standard_conforming_strings\s*(?:=|to)\s*'?(on|off)'?$/i
const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }

/** Decodes one field of COPY's text format as pg_dump writes it: `\N` is null, a backslash escapes one character. */
function copyField(field: string): string | null {
  if (field === '\\N') return null
  return field.replace(/\\(.)/g, (_, char: string) => COPY_ESCAPES[char] ?? char)
}

function unquoteIdentifier(name: string): string {
  return name.trim().replace(/^"(.*)"$/, '$1')
}

/** Where a dollar-quote tag (`$$`, `$body$`) starts at `i`, the tag; otherwise null. */
function dollarTag(script: string, i: number): string | null {
  if (i > 0 && /[\w$]/.test(script[i - 1] as string)) return null
  return /^\$(?:[A-Za-z_]\w*)?\$/.exec(script.slice(i, i + 64))?.[0] ?? null
}

/** The index just past a single-quoted string starting at `start`; backslashes escape when `backslashes` is set. */
function endOfString(script: string, start: number, backslashes: boolean): number {
  let i = start + 1
  while (i < script.length) {
    const char = script[i]
    if (backslashes && char === '\\') i += 2
    else if (char === "'" && script[i + 1] === "'") i += 2
    else if (char === "'") return i + 1
    else i += 1
  }
  return i
}

/** The index just past the first `token` at or after `from`, or the script's end when it never comes. */
function pastToken(script: string, token: string, from: number): number {
  const at = script.indexOf(token, from)
  return at < 0 ? script.length : at + token.length
}

/** The index just past a (possibly nested) block comment starting at `start`. */
function endOfBlockComment(script: string, start: number): number {
  let depth = 0
  let i = start
  do {
    if (script.startsWith('/*', i)) depth += 1
    else if (script.startsWith('*/', i)) depth -= 1
    i += script.startsWith('/*', i) || script.startsWith('*/', i) ? 2 : 1
  } while (depth > 0 && i < script.length)
  return i
}

/** The data lines of a COPY block, from the line after `from` up to `\.`, and the index just past that line. */
function copyData(script: string, from: number): { lines: string[]; end: number } {
  const start = pastToken(script, '\n', from)
  const terminator = script.startsWith('\\.', start) ? start - 1 : script.indexOf('\n\\.', start)
  if (terminator < 0) throw new Error('a COPY ... FROM stdin block has no terminating \\. line')
  const lines = terminator < start ? [] : script.slice(start, terminator).split('\n')
  return { lines, end: pastToken(script, '\n', terminator + 1) }
}

/**
 * Reads a psql script (a pg_dump) the way psql does: statements end at `;` outside quotes, dollar quotes
 * and comments, and a `COPY ... FROM stdin` statement is followed by its data up to `\.`. Comments are
 * dropped; `standard_conforming_strings` is followed, since it decides whether a backslash escapes a quote.
 */
export function parsePsqlScript(script: string): PsqlItem[] {
  const items: PsqlItem[] = []
  let conforming = true
  let statement = ''
  let i = 0
  const finish = () => {
    const text = statement.trim()
    statement = ''
    const setting = CONFORMING_STRINGS.exec(text)
    if (setting) conforming = setting[1]?.toLowerCase() === 'on'
    const copy = COPY_FROM_STDIN.exec(text)
    if (copy) {
      const { lines, end } = copyData(script, i)
      const table = (copy[1] as string).split('.').map(unquoteIdentifier).pop() as string
      const columns = (copy[2] as string).split(',').map(unquoteIdentifier)
      items.push({ copy: { table, columns, rows: lines.map((line) => line.split('\t').map(copyField)) } })
      i = end
    } else if (text) items.push({ sql: text })
  }
  while (i < script.length) {
    const char = script[i] as string
    if (script.startsWith('--', i)) {
      i = pastToken(script, '\n', i)
      statement += '\n'
    } else if (script.startsWith('/*', i)) {
      i = endOfBlockComment(script, i)
      statement += ' '
    } else if (char === "'") {
      const escaped = !conforming || (/[eE]$/.test(statement) && !/\w[eE]$/.test(statement))
      const end = endOfString(script, i, escaped)
      statement += script.slice(i, end)
      i = end
    } else if (char === '"') {
      const end = pastToken(script, '"', i + 1)
      statement += script.slice(i, end)
      i = end
    } else if (char === '$' && dollarTag(script, i)) {
      const tag = dollarTag(script, i) as string
      const end = pastToken(script, tag, i + tag.length)
      statement += script.slice(i, end)
      i = end
    } else if (char === ';') {
      i += 1
      finish()
    } else {
      statement += char
      i += 1
    }
  }
  finish()
  return items
}
