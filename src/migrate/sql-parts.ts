import { type RawBuilder, sql } from 'kysely'
import type { ReferentialAction } from '../model/relation.js'
import type { TableName } from './ddl.js'

const ACTIONS: Record<ReferentialAction, string> = {
  cascade: 'CASCADE',
  restrict: 'RESTRICT',
  'no action': 'NO ACTION',
  'set null': 'SET NULL',
  'set default': 'SET DEFAULT',
}

/** A quoted, optionally schema-qualified table. */
export function tableSql(table: TableName): RawBuilder<unknown> {
  return table.schema ? sql.id(table.schema, table.table) : sql.id(table.table)
}

/** A quoted column list, without the parentheses. */
export function columnsSql(columns: string[]): RawBuilder<unknown> {
  return sql.join(columns.map((column) => sql.id(column)))
}

/** A referential action as SQL keywords, from a fixed list. */
export function actionSql(action: ReferentialAction): RawBuilder<unknown> {
  return sql.raw(ACTIONS[action])
}
