import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import type { Candidate } from './candidate.js'
import type { ParentCatalog } from './parent-catalog.js'
import { typeFit } from './type-compatibility.js'
import { KEY_WORDS } from './vocabulary.js'
import { words } from './words.js'

/** Two-or-more-column references name every column like the parent key's, so one name per key column is evidence enough. */
const COMPOSITE_PRIOR = 2.0
const SAME_TYPES = 0.3

function nameOf(column: ColumnInfo): string {
  return words(column.name).join(' ')
}

/**
 * Candidates for multi-column unique keys: a table with a column named like each key column (`tenant_id`,
 * `order_no` -> orders(tenant_id, order_no)). Keys with a bare `id` or `code` column are left out: every table has those.
 */
export function compositeCandidates(tables: readonly TableInfo[], catalog: ParentCatalog): Candidate[] {
  const byColumnName = new Map<string, TableInfo[]>()
  for (const table of tables) {
    for (const column of table.columns) {
      const list = byColumnName.get(nameOf(column))
      if (list) list.push(table)
      else byColumnName.set(nameOf(column), [table])
    }
  }
  const candidates: Candidate[] = []
  for (const key of catalog.compositeKeys()) {
    if (key.columns.some((column) => words(column.name).every((word) => KEY_WORDS.has(word)))) continue
    const names = key.columns.map(nameOf)
    for (const table of byColumnName.get(names[0] as string) ?? []) {
      if (table === key.table) continue
      const columns = names.map((name) => table.columns.find((column) => nameOf(column) === name))
      if (columns.some((column) => !column)) continue
      const childColumns = columns as ColumnInfo[]
      const fits = childColumns.map((column, i) => typeFit(column, key.columns[i] as ColumnInfo))
      if (fits.includes('incompatible')) continue
      const list = key.columns.map((column) => column.name).join(', ')
      candidates.push({
        child: { table, columns: childColumns },
        parent: { table: key.table, columns: key.columns },
        comparable: true,
        evidence: [
          { signal: 'composite', detail: `(${list}) have the names of the unique key ${key.table.name}(${list})`, weight: COMPOSITE_PRIOR },
          fits.every((fit) => fit === 'same')
            ? { signal: 'type', detail: "every column has its key column's type", weight: SAME_TYPES }
            : { signal: 'type', detail: 'the types are of the same kinds', weight: 0 },
          { signal: 'key', detail: key.primary ? `${key.table.name}'s primary key` : `a unique index of ${key.table.name}`, weight: 0 },
        ],
      })
    }
  }
  return candidates
}
