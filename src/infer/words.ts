/** Plurals English spelling rules get wrong, mapped to their singular. */
const IRREGULAR: Record<string, string> = {
  people: 'person',
  persons: 'person',
  children: 'child',
  men: 'man',
  women: 'woman',
  mice: 'mouse',
  geese: 'goose',
  feet: 'foot',
  teeth: 'tooth',
  criteria: 'criterion',
  phenomena: 'phenomenon',
  indices: 'index',
  matrices: 'matrix',
  vertices: 'vertex',
  analyses: 'analysis',
  theses: 'thesis',
  crises: 'crisis',
  media: 'medium',
  data: 'datum',
}

/** Words that end in `s` in the singular. */
const SINGULAR_S = /(ss|us|is|news|series|species|alias|gas|atlas|canvas|lens)$/

/**
 * Splits an identifier into lower-case words: `order_lines`, `orderLines`, `OrderLines`, `ORDER-LINES`,
 * `CustomerID` and `address2` give `order lines`, `customer id`, `address 2`.
 */
export function words(identifier: string): string[] {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])(\d)/g, '$1 $2')
    .replace(/(\d)([A-Za-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase())
}

/** The singular forms a word may stand for, the word itself first (`categories` -> category, categorie; `movies` -> movie). */
export function singularForms(word: string): string[] {
  const forms = new Set([word])
  const irregular = IRREGULAR[word]
  if (irregular) forms.add(irregular)
  else if (word.length > 3 && !SINGULAR_S.test(word)) {
    if (word.endsWith('ies')) {
      forms.add(`${word.slice(0, -3)}y`)
      forms.add(word.slice(0, -1))
    } else if (word.endsWith('ves')) {
      forms.add(`${word.slice(0, -3)}f`)
      forms.add(`${word.slice(0, -3)}fe`)
      forms.add(word.slice(0, -1))
    } else if (/(ss|x|z|ch|sh|us|is)es$/.test(word)) {
      forms.add(word.slice(0, -2))
      forms.add(word.slice(0, -1))
    } else if (word.endsWith('s')) forms.add(word.slice(0, -1))
  }
  return [...forms]
}

/** Whether two words name the same thing, one perhaps plural (`category`/`categories`, `person`/`people`). */
export function sameWord(a: string, b: string): boolean {
  if (a === b) return true
  const formsA = singularForms(a)
  return singularForms(b).some((form) => formsA.includes(form))
}

/** Whether two word lists match word by word (see sameWord). */
export function sameWords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, i) => sameWord(word, b[i] as string))
}
