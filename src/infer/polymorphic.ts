import { type Kysely, sql } from 'kysely'
import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import type { Candidate } from './candidate.js'
import type { ParentCatalog } from './parent-catalog.js'
import { typeFit } from './type-compatibility.js'
import { ID_WORDS } from './vocabulary.js'
import { sameWords, words } from './words.js'

/** A `<x>_type` + `<x>_id` pair: the id points at the table the type names (Rails, Laravel and Django-style polymorphic references). */
export interface PolymorphicPair {
  table: TableInfo
  typeColumn: ColumnInfo
  idColumn: ColumnInfo
}

/** Most distinct type values read per pair: polymorphic columns name a handful of tables. */
export const MAX_TYPE_VALUES = 50
/** A type value naming a table is nearly as strong as a column named after it. */
const POLYMORPHIC_PRIOR = 2.2
const SAME_TYPE = 0.3

/** The polymorphic pairs of a table: a string `<x>_type` column and a `<x>_id` column beside it. */
export function polymorphicPairs(table: TableInfo): PolymorphicPair[] {
  const pairs: PolymorphicPair[] = []
  for (const typeColumn of table.columns) {
    const typeWords = words(typeColumn.name)
    if (typeWords.length < 2 || typeWords[typeWords.length - 1] !== 'type' || !/char|text|enum/i.test(typeColumn.type)) continue
    const stem = typeWords.slice(0, -1)
    const idColumn = table.columns.find((column) => {
      const idWords = words(column.name)
      return (
        idWords.length === stem.length + 1 && ID_WORDS.has(idWords[idWords.length - 1] as string) && sameWords(idWords.slice(0, -1), stem)
      )
    })
    if (idColumn) pairs.push({ table, typeColumn, idColumn })
  }
  return pairs
}

/** The distinct values of a pair's type column (at most MAX_TYPE_VALUES + 1, so "more" shows). */
export async function readTypeValues(db: Kysely<any>, pair: PolymorphicPair): Promise<string[]> {
  const column = sql.id(pair.typeColumn.name)
  const { rows } = await sql<{ value: unknown }>`select distinct ${column} as value from ${sql.id(pair.table.schema, pair.table.name)}
    where ${column} is not null limit ${sql.lit(MAX_TYPE_VALUES + 1)}`.execute(db)
  return rows.map((row) => String(row.value))
}

/** The table a type value names: `Post`, `App\Models\Post`, `Admin::User`, `blog.post` -> the last part, singular or plural. */
function tableNamed(value: string, catalog: ParentCatalog, tables: readonly TableInfo[]): TableInfo | undefined {
  const last = value.split(/::|\\|\.|\//).pop() ?? value
  const valueWords = words(last)
  if (valueWords.length === 0) return undefined
  return tables.find((table) =>
    catalog.entities.variantsOf(table).some((variant) => variant.kind !== 'tail' && sameWords(variant.words, valueWords)),
  )
}

/** One candidate per type value that names a table with a one-column primary key the id column can hold. */
export function polymorphicCandidates(
  pair: PolymorphicPair,
  values: string[],
  catalog: ParentCatalog,
  tables: readonly TableInfo[],
): Candidate[] {
  const candidates: Candidate[] = []
  for (const value of values.slice(0, MAX_TYPE_VALUES)) {
    const parent = tableNamed(value, catalog, tables)
    const key = parent ? catalog.keysOf(parent).find((candidate) => candidate.primary) : undefined
    if (!parent || !key) continue
    const fit = typeFit(pair.idColumn, key.column)
    if (fit === 'incompatible') continue
    candidates.push({
      child: { table: pair.table, columns: [pair.idColumn], where: { [pair.typeColumn.name]: value } },
      parent: { table: parent, columns: [key.column] },
      comparable: true,
      evidence: [
        {
          signal: 'polymorphic',
          detail: `${pair.typeColumn.name} = '${value}' names ${parent.name}, and ${pair.idColumn.name} beside it holds its key ${key.column.name}`,
          weight: POLYMORPHIC_PRIOR,
        },
        fit === 'same'
          ? { signal: 'type', detail: `same type ${key.column.type}`, weight: SAME_TYPE }
          : { signal: 'type', detail: `${pair.idColumn.type} holds ${key.column.type} values`, weight: 0 },
      ],
    })
  }
  return candidates
}
