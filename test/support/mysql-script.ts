/**
 * Splits a script for the mysql client into statements the way the client does: `DELIMITER` lines
 * change the terminator (routines and triggers contain `;`), quotes and comments never end a statement.
 * Comments are dropped, as the client drops them by default.
 */
export function splitMysqlScript(script: string): string[] {
  const statements: string[] = []
  let delimiter = ';'
  let statement = ''
  let i = 0
  const lineEnd = (from: number) => {
    const end = script.indexOf('\n', from)
    return end < 0 ? script.length : end
  }
  while (i < script.length) {
    const char = script[i] as string
    const atLineStart = i === 0 || script[i - 1] === '\n'
    if (atLineStart && statement.trim() === '' && /^delimiter\s/i.test(script.slice(i, i + 10))) {
      const end = lineEnd(i)
      delimiter = script.slice(i + 'delimiter'.length, end).trim()
      i = end
    } else if (char === '#' || /^--(\s|$)/.test(script.slice(i, i + 3))) {
      i = lineEnd(i)
      statement += ' '
    } else if (script.startsWith('/*', i)) {
      const end = script.indexOf('*/', i + 2)
      i = end < 0 ? script.length : end + 2
      statement += ' '
    } else if (char === "'" || char === '"' || char === '`') {
      let end = i + 1
      while (end < script.length && script[end] !== char) end += script[end] === '\\' && char !== '`' ? 2 : 1
      statement += script.slice(i, end + 1)
      i = end + 1
    } else if (script.startsWith(delimiter, i)) {
      if (statement.trim()) statements.push(statement.trim())
      statement = ''
      i += delimiter.length
    } else {
      statement += char
      i += 1
    }
  }
  if (statement.trim()) statements.push(statement.trim())
  return statements
}
