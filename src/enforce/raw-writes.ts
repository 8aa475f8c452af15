const WRITE_VERB = /\b(insert|update|delete|merge|replace|truncate)\b/i

/** The SQL text without comments and string literals, so only keywords and identifiers remain. */
function codeOnly(text: string): string {
  return text
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The guarded table a raw SQL statement writes, if it looks like a write that names one. */
export function rawWriteTarget(sqlText: string, guardedTables: Iterable<string>): string | undefined {
  const code = codeOnly(sqlText)
  if (!WRITE_VERB.test(code)) return undefined
  for (const table of guardedTables) {
    const name = escapeRegExp(table)
    if (new RegExp(`(^|[^\\w$])[\`"]?${name}[\`"]?($|[^\\w$])`, 'i').test(code)) return table
  }
  return undefined
}
