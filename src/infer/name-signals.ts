import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import type { EntityVariant } from './entities.js'
import type { KeyColumn, ParentCatalog } from './parent-catalog.js'
import { HIERARCHY_ROLES, ID_WORDS, KEY_WORDS, MEASURE_WORDS, PERSON_HIERARCHY_ROLES, PERSON_ROLES } from './vocabulary.js'
import { sameWord, sameWords, words } from './words.js'

/** The naming conventions a child column can follow. */
type NamePattern = 'entity-key' | 'key-entity' | 'key-name' | 'role-entity-key' | 'self-role' | 'entity' | 'person-role' | 'similar'

/**
 * Log-odds each convention gives before types and data are known. A table's name plus its key's suffix
 * (`customer_id` -> customers.id) is how most schemas name references; a role before it (`original_language_id`)
 * is a little less certain; a role alone (`reports_to`, `created_by`) or a shared stem (`ship_via` ~ shippers)
 * names no table, so the data has to carry it.
 */
const PRIOR: Record<NamePattern, number> = {
  'entity-key': 2.8,
  'key-entity': 2.3,
  'key-name': 2.0,
  'role-entity-key': 1.6,
  'self-role': 1.2,
  entity: 0.8,
  'person-role': 0.3,
  similar: -0.5,
}

/** A table's tail word (`post` for `blog_post`) names it less surely than its whole name. */
const TAIL_PENALTY = -0.6
/** How the column's key words fit the parent key's. */
const SUFFIX_FIT = { exact: 0, id: -0.3, partial: -0.5 } as const
/** A role between people (`manager_id`) in a table that does not hold people: rather a person table's row. */
const UNLIKELY_SELF = 0.2
/** A role before a bare table name (`billing_country`). */
const ROLE_PENALTY = -0.5
/** Shortest stem two words must share to count as similar. */
const MIN_STEM = 4

/** A parent key a column's name points at, and how. */
export interface NameMatch {
  key: KeyColumn
  weight: number
  detail: string
}

/** Why a column whose name looks like a reference got no parent key. */
export interface NameMiss {
  column: string
  reason: string
}

function startsWithWords(columnWords: string[], role: readonly string[]): boolean {
  return columnWords.length >= role.length && sameWords(columnWords.slice(0, role.length), role)
}

/** The role a column's name starts with, if the rest is at most one id word (`manager_id`, `reports_to`, `parent`). */
function roleOf(columnWords: string[], roles: readonly (readonly string[])[]): readonly string[] | undefined {
  return roles.find((role) => {
    if (!startsWithWords(columnWords, role)) return false
    const rest = columnWords.slice(role.length)
    return rest.length === 0 || (rest.length === 1 && ID_WORDS.has(rest[0] as string))
  })
}

function suffixFit(columnSuffix: string[], keySuffix: string[]): keyof typeof SUFFIX_FIT | undefined {
  if (columnSuffix.length === 0) return undefined
  if (sameWords(columnSuffix, keySuffix)) return 'exact'
  if (columnSuffix.length !== 1) return undefined
  const word = columnSuffix[0] as string
  if (ID_WORDS.has(word) && keySuffix.every((part) => KEY_WORDS.has(part))) return 'id'
  // `country_code` for countries.iso_code; never `store_id` for store.manager_staff_id, a reference itself.
  if (KEY_WORDS.has(word) && !ID_WORDS.has(word) && keySuffix[keySuffix.length - 1] === word) return 'partial'
  return undefined
}

const quote = (text: string) => `\`${text}\``

function describeVariant(variant: EntityVariant): string {
  if (variant.kind === 'tail') return `${variant.table.name} (by its last word ${quote(variant.words.join('_'))})`
  return variant.kind === 'schema' ? `${variant.table.schema}.${variant.table.name}` : variant.table.name
}

/** Matches of the column's words against a table's name inside them: `[role] table [key words]`. */
function entityMatches(table: TableInfo, column: ColumnInfo, columnWords: string[], catalog: ParentCatalog): NameMatch[] {
  const matches: NameMatch[] = []
  for (let end = 0; end < columnWords.length; end++) {
    for (const variant of catalog.entities.endingWith(columnWords[end] as string)) {
      const start = end - variant.words.length + 1
      if (start < 0 || !sameWords(columnWords.slice(start, end + 1), variant.words)) continue
      const role = columnWords.slice(0, start)
      const suffix = columnWords.slice(end + 1)
      const parent = variant.table
      // A table's own name in its column is a self-reference only with a role (`parent_category_id`).
      if (parent === table && role.length === 0) continue
      const tail = variant.kind === 'tail' ? TAIL_PENALTY : 0
      for (const key of catalog.keysOf(parent)) {
        if (parent === table && key.column.name === column.name) continue
        const keyName = key.column.name
        if (role.length > 0 && suffix.length === 0 && role.every((word) => ID_WORDS.has(word))) {
          if (!key.suffix.every((word) => KEY_WORDS.has(word))) continue
          matches.push({
            key,
            weight: PRIOR['key-entity'] + tail,
            detail: `${quote(column.name)} names ${describeVariant(variant)} after a key word: its key ${keyName}`,
          })
          continue
        }
        if (suffix.length === 0) {
          if (!key.owned && !key.suffix.every((word) => KEY_WORDS.has(word))) continue
          const withRole = role.length > 0 ? ROLE_PENALTY : 0
          matches.push({
            key,
            weight: PRIOR.entity + tail + withRole,
            detail: `${quote(column.name)} names ${describeVariant(variant)}${role.length > 0 ? ` after the role ${quote(role.join('_'))}` : ''}: its key ${keyName}`,
          })
          continue
        }
        const fit = suffixFit(suffix, key.suffix)
        if (!fit) continue
        const pattern: NamePattern = role.length === 0 ? 'entity-key' : 'role-entity-key'
        const how = fit === 'exact' ? 'its key' : fit === 'id' ? 'an id word for its key' : 'the last word of its key'
        matches.push({
          key,
          weight: PRIOR[pattern] + tail + SUFFIX_FIT[fit],
          detail: `${quote(column.name)} names ${describeVariant(variant)} and ${how} ${keyName}${role.length > 0 ? `, after the role ${quote(role.join('_'))}` : ''}`,
        })
      }
    }
  }
  return matches
}

/** A column's words without its own table's name in front (`post_parent` in posts, `employee_manager_id` in employees). */
function withoutOwnName(table: TableInfo, columnWords: string[], catalog: ParentCatalog): string[] {
  for (const variant of catalog.entities.variantsOf(table)) {
    const length = variant.words.length
    if (variant.kind !== 'schema' && columnWords.length > length && sameWords(columnWords.slice(0, length), variant.words)) {
      return columnWords.slice(length)
    }
  }
  return columnWords
}

/**
 * Roles without a table name. Hierarchy roles point at the column's own table; roles between people (`manager_id`,
 * `reports_to`) too when the table holds people, else at a table of people; other person roles (`created_by`) at
 * tables of people.
 */
function roleMatches(table: TableInfo, column: ColumnInfo, allWords: string[], catalog: ParentCatalog): NameMatch[] {
  const matches: NameMatch[] = []
  const columnWords = withoutOwnName(table, allWords, catalog)
  const hierarchy = roleOf(columnWords, HIERARCHY_ROLES)
  const between = roleOf(columnWords, PERSON_HIERARCHY_ROLES)
  const selfRole = hierarchy ?? between
  const people = catalog.holdsPeople(table)
  if (selfRole) {
    const weight = hierarchy || people ? PRIOR['self-role'] : UNLIKELY_SELF
    for (const key of catalog.keysOf(table)) {
      if (key.column.name === column.name) continue
      matches.push({
        key,
        weight,
        detail: `${quote(column.name)} is the role ${quote(selfRole.join('_'))}: another ${table.name} row, by its key ${key.column.name}`,
      })
    }
  }
  const person = between ?? roleOf(columnWords, PERSON_ROLES)
  if (person) {
    for (const parent of catalog.personTables()) {
      if (parent === table && between) continue
      for (const key of catalog.keysOf(parent)) {
        if (parent === table && key.column.name === column.name) continue
        matches.push({
          key,
          weight: PRIOR['person-role'],
          detail: `${quote(column.name)} is the role ${quote(person.join('_'))}, which a person plays; ${parent.name} holds people (key ${key.column.name})`,
        })
      }
    }
  }
  return matches
}

/** Whether two words share a stem (`ship` and `shipper`) without being the same word. */
function similarWords(a: string, b: string): boolean {
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a]
  return shorter.length >= MIN_STEM && shorter.length * 2 >= longer.length && longer.startsWith(shorter) && !sameWord(a, b)
}

/** Tables whose name's last word shares a stem with one of the column's words: the weakest name evidence. */
function similarMatches(table: TableInfo, column: ColumnInfo, columnWords: string[], catalog: ParentCatalog): NameMatch[] {
  if (columnWords.some((word) => MEASURE_WORDS.has(word))) return []
  const matches: NameMatch[] = []
  const seen = new Set<KeyColumn>()
  for (const word of columnWords) {
    if (word.length < MIN_STEM || KEY_WORDS.has(word)) continue
    for (const last of catalog.entities.lastWords()) {
      if (!similarWords(word, last)) continue
      for (const variant of catalog.entities.endingWith(last)) {
        if (variant.table === table || variant.kind === 'schema') continue
        for (const key of catalog.keysOf(variant.table)) {
          if (seen.has(key)) continue
          seen.add(key)
          matches.push({
            key,
            weight: PRIOR.similar,
            detail: `${quote(column.name)} shares the stem ${quote(word.length < last.length ? word : last)} with ${variant.table.name} (key ${key.column.name})`,
          })
        }
      }
    }
  }
  return matches
}

/** The best match per parent key: a name can fit one key in several ways. */
function bestPerKey(matches: NameMatch[]): NameMatch[] {
  const best = new Map<KeyColumn, NameMatch>()
  for (const match of matches) {
    const current = best.get(match.key)
    if (!current || match.weight > current.weight) best.set(match.key, match)
  }
  return [...best.values()]
}

/**
 * The parent keys a column's name points at: `<table>_<key>`, `<table>Id`, `id_<table>`, a column named like a
 * parent's key, `<role>_<table>_<key>`, a bare table name, hierarchy and person roles, and (only when nothing else
 * fits) a shared stem.
 */
export function nameMatches(table: TableInfo, column: ColumnInfo, catalog: ParentCatalog): NameMatch[] {
  const columnWords = words(column.name)
  if (columnWords.length === 0) return []
  const matches = entityMatches(table, column, columnWords, catalog)
  for (const key of catalog.borrowedKeysNamed(columnWords)) {
    if (key.table === table) continue
    matches.push({
      key,
      weight: PRIOR['key-name'],
      detail: `${quote(column.name)} has the name of the key ${key.table.name}.${key.column.name}`,
    })
  }
  matches.push(...roleMatches(table, column, columnWords, catalog))
  if (matches.length === 0) matches.push(...similarMatches(table, column, columnWords, catalog))
  return bestPerKey(matches)
}

/** Whether a column's name ends in an id word, so a missing parent is worth reporting (`legacy_id` with no `legacy` table). */
export function looksLikeReference(column: ColumnInfo): boolean {
  const columnWords = words(column.name)
  return columnWords.length > 1 && ID_WORDS.has(columnWords[columnWords.length - 1] as string)
}

/** Tables whose name appears in the column's name, whether or not they have a key. */
export function tablesNamedIn(column: ColumnInfo, catalog: ParentCatalog): TableInfo[] {
  const columnWords = words(column.name)
  const found = new Set<TableInfo>()
  for (let end = 0; end < columnWords.length; end++) {
    for (const variant of catalog.entities.endingWith(columnWords[end] as string)) {
      const start = end - variant.words.length + 1
      if (start >= 0 && sameWords(columnWords.slice(start, end + 1), variant.words)) found.add(variant.table)
    }
  }
  return [...found]
}
