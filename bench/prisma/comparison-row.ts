import { ReferentialIntegrityError, UnguardedWriteError } from '../../src/index.js'
import type { Cell } from '../support/benchmark.js'

/** One line of the comparison: what each way of keeping relations did in one case on one engine. */
export interface ComparisonRow {
  part: string
  engine: string
  case: string
  prisma: string
  inline: string
  queued: string
  native: string
}

/** What one part of the comparison measured on one engine. */
export interface PartResult {
  rows: ComparisonRow[]
  notes: string[]
}

/** A row as the result table prints it. */
export function tableRow(row: ComparisonRow): Record<string, Cell> {
  return {
    part: row.part,
    engine: row.engine,
    case: row.case,
    'Prisma relationMode="prisma"': row.prisma,
    'refguard inline': row.inline,
    'refguard queued': row.queued,
    'native FOREIGN KEY': row.native,
  }
}

/** A short name for why a statement failed: Prisma's error code, refguard's error and SQLSTATE, or the database's code. */
export function errorLabel(error: unknown): string {
  if (error instanceof ReferentialIntegrityError) return `ReferentialIntegrityError ${error.sqlState}`
  if (error instanceof UnguardedWriteError) return 'UnguardedWriteError'
  const { code, errno, name } = error as { code?: unknown; errno?: unknown; name?: unknown }
  if (typeof code === 'string' && /^P\d{4}$/.test(code)) return `Prisma ${code}`
  if (typeof errno === 'number') return `${String(code)} (${errno})`
  if (typeof code === 'string') return `SQLSTATE ${code}`
  return typeof name === 'string' ? name : 'error'
}

/** Whether a failure says the parent is missing (the check worked), rather than a deadlock or another error. */
export function isMissingParent(error: unknown): boolean {
  if (error instanceof ReferentialIntegrityError) return error.sqlState === '23503'
  const { code } = error as { code?: unknown }
  // P2025: a nested `connect` found no parent row.
  return code === 'P2025'
}

/** `12,345`: a count as the tables print it. */
export function formatCount(value: number): string {
  return value.toLocaleString('en')
}
