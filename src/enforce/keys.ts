import type { MatchType } from '../model/relation.js'

/** A key value: one entry per key column, in the relation's column order. */
export type KeyTuple = unknown[]

/** A canonical string for a value, so keys compare equal across drivers' representations. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  // MySQL returns booleans as 1/0.
  if (typeof value === 'boolean') return value ? 'v:1' : 'v:0'
  if (value instanceof Date) return `d:${value.toISOString()}`
  if (Buffer.isBuffer(value)) return `b:${value.toString('hex')}`
  if (typeof value === 'object') return `j:${JSON.stringify(value)}`
  return `v:${String(value)}`
}

/** A string that identifies a key tuple, for sets and maps. */
export function keyId(tuple: KeyTuple): string {
  return tuple.map(canonical).join('\u0000')
}

/** Whether two key tuples hold the same values. */
export function sameKey(a: KeyTuple, b: KeyTuple): boolean {
  return keyId(a) === keyId(b)
}

/** How a key's NULLs decide whether it must have a parent: 'check', 'skip' (no reference) or 'invalid' (MATCH FULL mix). */
export function keyStatus(tuple: KeyTuple, match: MatchType): 'check' | 'skip' | 'invalid' {
  const nulls = tuple.filter((value) => value === null || value === undefined).length
  if (nulls === 0) return 'check'
  if (match === 'simple' || nulls === tuple.length) return 'skip'
  return 'invalid'
}

/** Distinct tuples, first occurrence first. */
export function distinctKeys(tuples: Iterable<KeyTuple>): KeyTuple[] {
  const seen = new Map<string, KeyTuple>()
  for (const tuple of tuples) {
    const id = keyId(tuple)
    if (!seen.has(id)) seen.set(id, tuple)
  }
  return [...seen.values()]
}

/** Splits a list into chunks of at most `size` items. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = []
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size))
  return result
}
