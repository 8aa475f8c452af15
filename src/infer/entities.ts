import type { TableInfo } from '../db/schema-info.js'
import { KEY_WORDS, TABLE_NOISE_WORDS } from './vocabulary.js'
import { sameWords, singularForms, words } from './words.js'

/** How a table's name was reduced to the words a column may use for it. */
export type VariantKind = 'full' | 'tail' | 'schema'

/** Words that name a table in a column: `order_lines` -> `order line`; `tbl_order_lines` -> also `line` (its tail). */
export interface EntityVariant {
  table: TableInfo
  words: string[]
  kind: VariantKind
}

/** A word shared by the start of most table names (`wp_posts`, `wp_users`): a prefix columns leave out. */
function sharedPrefixes(tables: readonly TableInfo[]): Map<string, string> {
  const bySchema = new Map<string, TableInfo[]>()
  for (const table of tables) {
    const members = bySchema.get(table.schema)
    if (members) members.push(table)
    else bySchema.set(table.schema, [table])
  }
  const prefixes = new Map<string, string>()
  for (const [schema, members] of bySchema) {
    if (members.length < 3) continue
    const counts = new Map<string, number>()
    for (const table of members) {
      const first = words(table.name)
      if (first.length > 1) counts.set(first[0] as string, (counts.get(first[0] as string) ?? 0) + 1)
    }
    const [word, count] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0]
    if (count >= 0.6 * members.length) prefixes.set(schema, word)
  }
  return prefixes
}

function hasLetters(word: string): boolean {
  return /[a-z]/.test(word)
}

/** A table's name without noise words (`tbl_`, `_tab`) and without its schema's shared prefix. */
function coreWords(table: TableInfo, prefix: string | undefined): string[] {
  let core = words(table.name)
  if (core.length > 1 && prefix !== undefined && core[0] === prefix && core.slice(1).some(hasLetters)) core = core.slice(1)
  while (core.length > 1 && TABLE_NOISE_WORDS.has(core[0] as string)) core = core.slice(1)
  while (core.length > 1 && TABLE_NOISE_WORDS.has(core[core.length - 1] as string)) core = core.slice(0, -1)
  return core
}

/** The names columns use for each table, and a look-up from a word to the variants ending with it. */
export class EntityIndex {
  private readonly variants = new Map<TableInfo, EntityVariant[]>()
  private readonly byLastWord = new Map<string, EntityVariant[]>()

  constructor(tables: readonly TableInfo[], defaultSchema: string) {
    const prefixes = sharedPrefixes(tables)
    const cores = new Map(tables.map((table) => [table, coreWords(table, prefixes.get(table.schema))]))
    const singleWordTables = new Set(
      [...cores.values()].filter((core) => core.length === 1).flatMap((core) => singularForms(core[0] as string)),
    )
    for (const table of tables) {
      const core = cores.get(table) as string[]
      const list: EntityVariant[] = [{ table, words: core, kind: 'full' }]
      const raw = words(table.name)
      if (!sameWords(raw, core)) list.push({ table, words: raw, kind: 'full' })
      const tail = core[core.length - 1] as string
      if (core.length > 1 && hasLetters(tail) && !KEY_WORDS.has(tail) && !singularForms(tail).some((form) => singleWordTables.has(form))) {
        list.push({ table, words: [tail], kind: 'tail' })
      }
      if (table.schema !== defaultSchema) list.push({ table, words: [...words(table.schema), ...core], kind: 'schema' })
      this.variants.set(table, list)
      for (const variant of list) {
        for (const form of singularForms(variant.words[variant.words.length - 1] as string)) {
          const list = this.byLastWord.get(form)
          if (list) list.push(variant)
          else this.byLastWord.set(form, [variant])
        }
      }
    }
  }

  /** The names a table goes by in columns. */
  variantsOf(table: TableInfo): EntityVariant[] {
    return this.variants.get(table) ?? []
  }

  /** Variants whose last word may be `word` (in any singular or plural form). */
  endingWith(word: string): EntityVariant[] {
    const found = new Set<EntityVariant>()
    for (const form of singularForms(word)) for (const variant of this.byLastWord.get(form) ?? []) found.add(variant)
    return [...found]
  }

  /** Every word (in every singular form) some table variant ends with. */
  lastWords(): IterableIterator<string> {
    return this.byLastWord.keys()
  }

  /**
   * The part of a key column's name after the table's own name (`customer_id` in customers -> `id`), and whether
   * the table owns the name: a key named after its table belongs to it, a borrowed one (`film_text.film_id`) does not.
   */
  keySuffix(table: TableInfo, keyColumn: string): { suffix: string[]; owned: boolean } {
    const key = words(keyColumn)
    for (const variant of this.variantsOf(table)) {
      if (variant.kind === 'schema') continue
      const length = variant.words.length
      if (key.length > length && sameWords(key.slice(0, length), variant.words) && key.slice(length).every((word) => KEY_WORDS.has(word))) {
        return { suffix: key.slice(length), owned: true }
      }
    }
    return { suffix: key, owned: false }
  }
}
