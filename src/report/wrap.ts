/** Length of a string as shown in a terminal, ignoring ANSI colour codes. */
export function visibleLength(text: string): number {
  return text.replace(/\u001b\[[0-9;]*m/g, '').length
}

/** Cuts plain text to `width` characters, ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`
}

/** Wraps plain text at spaces to `width`, indenting continuation lines by `indent` spaces; overlong words are split. */
export function wrap(text: string, width: number, indent: number): string[] {
  const lines: string[] = []
  let line = ''
  const room = () => (lines.length === 0 ? width : width - indent)
  const flush = () => {
    lines.push(line)
    line = ''
  }
  for (const paragraph of text.split('\n')) {
    const lead = /^ */.exec(paragraph)?.[0] ?? ''
    line = lead
    for (let word of paragraph.slice(lead.length).split(' ')) {
      if (line.trim() !== '' && line.length + 1 + word.length > room()) flush()
      while (word.length > room()) {
        if (line.trim() !== '') flush()
        const fits = room()
        lines.push(word.slice(0, fits))
        word = word.slice(fits)
      }
      line = line.trim() === '' ? line + word : `${line} ${word}`
    }
    flush()
  }
  return lines.map((text, i) => (i === 0 ? text : ' '.repeat(indent) + text))
}
