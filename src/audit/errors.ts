import type { Finding } from './finding.js'

/** Relations that name tables or columns the database does not have: nothing can be checked. */
export class SchemaMismatchError extends Error {
  constructor(readonly findings: Finding[]) {
    super(findings.map((finding) => `${finding.message}\n  fix: ${finding.fix}`).join('\n'))
    this.name = 'SchemaMismatchError'
  }
}
