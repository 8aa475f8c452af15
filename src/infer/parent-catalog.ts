import { findColumn, type ColumnInfo, type TableInfo } from '../db/schema-info.js'
import { EntityIndex } from './entities.js'
import { uniqueKeys, type UniqueKey } from './unique-keys.js'
import { KEY_WORDS, PERSON_ENTITIES } from './vocabulary.js'
import { singularForms, words } from './words.js'

/** A one-column unique key a child column may reference. */
export interface KeyColumn {
  table: TableInfo
  column: ColumnInfo
  primary: boolean
  /** The key's name after its table's name (`id` for `customer_id` in customers), or the whole name when borrowed. */
  suffix: string[]
  /** The key is named after its own table (`customers.customer_id`), so a column of the same name points at it. */
  owned: boolean
}

/** A unique key of several columns. */
export interface CompositeKey {
  table: TableInfo
  columns: ColumnInfo[]
  primary: boolean
}

/** The tables that can be parents (they have a unique key), their keys, and the names columns call them by. */
export class ParentCatalog {
  readonly entities: EntityIndex
  private readonly single = new Map<TableInfo, KeyColumn[]>()
  private readonly composite: CompositeKey[] = []
  private readonly byKeyName = new Map<string, KeyColumn[]>()
  private readonly people: TableInfo[] = []
  private readonly personLike = new Set<TableInfo>()

  constructor(tables: readonly TableInfo[], defaultSchema: string) {
    this.entities = new EntityIndex(tables, defaultSchema)
    for (const table of tables) {
      const keys = uniqueKeys(table)
      const columns = (key: UniqueKey) => key.columns.map((name) => findColumn(table, name)).filter((c): c is ColumnInfo => Boolean(c))
      const singles: KeyColumn[] = []
      for (const key of keys) {
        const found = columns(key)
        if (found.length !== key.columns.length) continue
        if (found.length > 1) {
          this.composite.push({ table, columns: found, primary: key.primary })
          continue
        }
        const column = found[0] as ColumnInfo
        const { suffix, owned } = this.entities.keySuffix(table, column.name)
        const keyColumn = { table, column, primary: key.primary, suffix, owned }
        singles.push(keyColumn)
        const name = words(column.name).join(' ')
        const named = this.byKeyName.get(name)
        if (named) named.push(keyColumn)
        else this.byKeyName.set(name, [keyColumn])
      }
      if (singles.length > 0) this.single.set(table, singles)
      const person = this.entities
        .variantsOf(table)
        .some((variant) => singularForms(variant.words[variant.words.length - 1] as string).some((form) => PERSON_ENTITIES.has(form)))
      if (person) this.personLike.add(table)
      if (person && singles.length > 0) this.people.push(table)
    }
  }

  /** The one-column unique keys of a table (none when it cannot be a parent by one column). */
  keysOf(table: TableInfo): KeyColumn[] {
    return this.single.get(table) ?? []
  }

  /** Keys named exactly like `columnWords` that are not named after their table and not a bare `id`/`code`. */
  borrowedKeysNamed(columnWords: string[]): KeyColumn[] {
    return (this.byKeyName.get(columnWords.join(' ')) ?? []).filter((key) => !key.owned && !key.suffix.every((word) => KEY_WORDS.has(word)))
  }

  /** Every unique key of more than one column. */
  compositeKeys(): readonly CompositeKey[] {
    return this.composite
  }

  /** Whether a table's name says it holds people (users, employees, staff, members, ...). */
  holdsPeople(table: TableInfo): boolean {
    return this.personLike.has(table)
  }

  /** Tables that hold people and have a one-column key. */
  personTables(): readonly TableInfo[] {
    return this.people
  }
}
