import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import type { Candidate, Evidence } from './candidate.js'
import { looksLikeReference, type NameMiss, nameMatches, tablesNamedIn } from './name-signals.js'
import type { ParentCatalog } from './parent-catalog.js'
import type { PolymorphicPair } from './polymorphic.js'
import { isKeyType, typeFit } from './type-compatibility.js'
import { isWholePrimaryKey } from './unique-keys.js'
import { KEY_WORDS } from './vocabulary.js'

/** Name evidence this strong is reported even when the types rule the relation out, so the mismatch gets seen. */
const REPORT_MISMATCH_FROM = 2.0
const TYPE_WEIGHT = { same: 0.3, compatible: 0, incompatible: -5 } as const
/** Most relations reference a primary key; a unique index is a little less usual. */
const PRIMARY_KEY_WEIGHT = 0.2

/** What the names of a schema suggest, before any data is read. */
export interface NameCandidates {
  candidates: Candidate[]
  /** Columns named like references that no table with a unique key fits. */
  misses: NameMiss[]
}

/** A column that is its table's own identity: the whole primary key, named after the table or a bare `id`. */
function isOwnKey(table: TableInfo, column: ColumnInfo, catalog: ParentCatalog): boolean {
  if (table.primaryKey.length !== 1 || table.primaryKey[0] !== column.name) return false
  const key = catalog.keysOf(table).find((candidate) => candidate.column === column)
  return !key || key.owned || key.suffix.every((word) => KEY_WORDS.has(word))
}

function typeEvidence(child: ColumnInfo, parent: ColumnInfo): Evidence {
  const fit = typeFit(child, parent)
  const detail =
    fit === 'same'
      ? `same type ${parent.type}`
      : fit === 'compatible'
        ? `${child.type} holds ${parent.type} values`
        : `${child.type} cannot be compared with ${parent.type} without a cast`
  return { signal: 'type', detail, weight: TYPE_WEIGHT[fit] }
}

/**
 * One candidate per column and parent key its name points at, with the name, type and key evidence. Columns
 * that are their table's own key, that cannot hold keys (floats, dates, booleans), that a declared foreign key
 * already covers, or that are the id of a polymorphic pair are not children here.
 */
export function nameCandidates(
  tables: readonly TableInfo[],
  catalog: ParentCatalog,
  declared: (table: TableInfo, columns: string[]) => boolean,
  pairs: readonly PolymorphicPair[],
): NameCandidates {
  const polymorphicIds = new Set(pairs.map((pair) => pair.idColumn))
  const candidates: Candidate[] = []
  const misses: NameMiss[] = []
  for (const table of tables) {
    for (const column of table.columns) {
      if (!isKeyType(column) || polymorphicIds.has(column) || isOwnKey(table, column, catalog) || declared(table, [column.name])) continue
      const matches = nameMatches(table, column, catalog)
      let kept = 0
      for (const match of matches) {
        const type = typeEvidence(column, match.key.column)
        if (type.weight === TYPE_WEIGHT.incompatible && match.weight < REPORT_MISMATCH_FROM) continue
        kept++
        candidates.push({
          child: { table, columns: [column] },
          parent: { table: match.key.table, columns: [match.key.column] },
          comparable: type.weight !== TYPE_WEIGHT.incompatible,
          evidence: [
            { signal: 'name', detail: match.detail, weight: match.weight },
            type,
            match.key.primary
              ? { signal: 'key', detail: `${match.key.table.name}.${match.key.column.name} is its primary key`, weight: PRIMARY_KEY_WEIGHT }
              : { signal: 'key', detail: `${match.key.table.name}.${match.key.column.name} has a unique index`, weight: 0 },
          ],
        })
      }
      if (kept === 0 && looksLikeReference(column) && !isWholePrimaryKey(table, column.name)) {
        const named = tablesNamedIn(column, catalog).filter((candidate) => catalog.keysOf(candidate).length === 0)
        misses.push({
          column: `${table.name}.${column.name}`,
          reason:
            matches.length > 0
              ? 'the tables its name points at have keys of another type'
              : named.length > 0
                ? `its name points at ${named.map((candidate) => candidate.name).join(', ')}, which has no primary key or unique index to reference: add one`
                : 'no table is named like it',
        })
      }
    }
  }
  return { candidates, misses }
}
