const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text safe inside HTML or SVG, in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] as string)
}

/**
 * Text shown literally by GitHub-flavoured Markdown, on one line: backslash-escapes whatever could start
 * a code span, emphasis, link, HTML, math or a table cell. Intra-word `_` cannot start emphasis and stays bare.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\\`*[\]<|~&$]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, (char) => `\\${char}`)
}

function longestRun(text: string, char: string): number {
  let longest = 0
  for (const run of text.match(new RegExp(`${char}+`, 'g')) ?? []) longest = Math.max(longest, run.length)
  return longest
}

/** A Markdown code span outside tables, with a fence longer than any backtick run inside. */
export function markdownCode(text: string): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ')
  const fence = '`'.repeat(longestRun(oneLine, '`') + 1)
  const pad = /^`|`$|^ .* $/.test(oneLine) ? ' ' : ''
  return `${fence}${pad}${oneLine}${pad}${fence}`
}

/** A fenced Markdown code block, with a fence longer than any backtick run inside. */
export function markdownFence(text: string, language = ''): string {
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1))
  return `${fence}${language}\n${text.replace(/\s+$/, '')}\n${fence}`
}
