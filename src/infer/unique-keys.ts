import type { TableInfo } from '../db/schema-info.js'

/** Columns a table guarantees unique: its primary key or a full unique index; what a relation's parent side must be. */
export interface UniqueKey {
  columns: string[]
  primary: boolean
}

/** Every distinct unique key of a table, the primary key first; partial and expression indexes guarantee nothing and are left out. */
export function uniqueKeys(table: TableInfo): UniqueKey[] {
  const keys: UniqueKey[] = []
  const seen = new Set<string>()
  const add = (columns: string[], primary: boolean) => {
    const id = [...columns].sort().join('\u0000')
    if (columns.length === 0 || seen.has(id)) return
    seen.add(id)
    keys.push({ columns, primary })
  }
  add(table.primaryKey, true)
  for (const index of table.indexes) {
    if (!index.unique || index.partial || index.columns.some((column) => column === null)) continue
    add(index.columns as string[], index.primary)
  }
  return keys
}

/** Whether a column is the whole primary key of its table. */
export function isWholePrimaryKey(table: TableInfo, column: string): boolean {
  return table.primaryKey.length === 1 && table.primaryKey[0] === column
}
