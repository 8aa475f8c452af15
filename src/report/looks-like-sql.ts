const STATEMENT_START =
  /^(?:SELECT|INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|WITH|SET|BEGIN|COMMIT|ROLLBACK|START TRANSACTION|COMMENT ON)\b/

/**
 * Whether a finding's fix is SQL rather than a config change in words: its first line (after `--` comments)
 * starts with a statement keyword written in capitals, as refguard writes SQL, or in any case when it ends in `;`.
 */
export function looksLikeSql(fix: string): boolean {
  const lines = fix
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('--'))
  const first = lines[0]
  if (first === undefined) return false
  return STATEMENT_START.test(first) || (STATEMENT_START.test(first.toUpperCase()) && (lines.at(-1) as string).endsWith(';'))
}
