/** Where the `relations` array sits in a config file's text: the offsets of its `[` and `]`. */
export interface ArraySpan {
  open: number
  close: number
}

const CLOSING: Record<string, string> = { '[': ']', '{': '}', '(': ')' }

/** Offset just past a string, template or comment starting at `start`, or `start` when none starts there. */
function skipLiteral(text: string, start: number): number {
  const char = text[start]
  if (char === '/' && text[start + 1] === '/') {
    const end = text.indexOf('\n', start)
    return end === -1 ? text.length : end
  }
  if (char === '/' && text[start + 1] === '*') {
    const end = text.indexOf('*/', start + 2)
    return end === -1 ? text.length : end + 2
  }
  if (char !== '"' && char !== "'" && char !== '`') return start
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === char) return i + 1
  }
  return text.length
}

/** The offset of the bracket that closes the one at `open`, skipping strings and comments. */
function matchingBracket(text: string, open: number): number | undefined {
  const stack: string[] = []
  for (let i = open; i < text.length;) {
    const after = skipLiteral(text, i)
    if (after !== i) {
      i = after
      continue
    }
    const char = text[i] as string
    if (CLOSING[char]) stack.push(CLOSING[char])
    else if (char === stack[stack.length - 1]) {
      stack.pop()
      if (stack.length === 0) return i
    }
    i++
  }
  return undefined
}

const RELATIONS_KEY = /^(?:relations|"relations"|'relations')\s*:\s*\[/

/** The first `relations: [...]` property outside strings and comments. */
export function findRelationsArray(text: string): ArraySpan | undefined {
  for (let i = 0; i < text.length;) {
    const after = skipLiteral(text, i)
    if (after !== i && !(text[i] === '"' || text[i] === "'")) {
      i = after
      continue
    }
    const previous = text[i - 1] ?? ' '
    const match = /[\w$]/.test(previous) ? null : RELATIONS_KEY.exec(text.slice(i, i + 40))
    if (match) {
      const open = i + match[0].length - 1
      const close = matchingBracket(text, open)
      return close === undefined ? undefined : { open, close }
    }
    i = after !== i ? after : i + 1
  }
  return undefined
}

/** The indentation of the line holding `offset`. */
export function indentationAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? ''
}

/** Whether the array between the brackets holds anything but whitespace and comments. */
export function arrayHasItems(text: string, span: ArraySpan): boolean {
  for (let i = span.open + 1; i < span.close;) {
    const after = skipLiteral(text, i)
    if (after !== i && text[i] === '/') {
      i = after
      continue
    }
    if (!/\s/.test(text[i] as string)) return true
    i++
  }
  return false
}

/** The offset just past the last item of a non-empty array (before any trailing comma, whitespace or comment). */
export function endOfLastItem(text: string, span: ArraySpan): number {
  let end = span.open + 1
  for (let i = span.open + 1; i < span.close;) {
    const after = skipLiteral(text, i)
    if (after !== i) {
      if (text[i] !== '/') end = after
      i = after
      continue
    }
    const char = text[i] as string
    if (CLOSING[char]) {
      const close = matchingBracket(text, i) ?? span.close - 1
      end = close + 1
      i = close + 1
      continue
    }
    if (!/[\s,]/.test(char)) end = i + 1
    i++
  }
  return end
}
