import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Enforcement, noEnforcement, refguardEnforcement } from './differential/enforcement.js'
import type { OracleDialect } from './differential/model.js'
import { expectAgreement } from './differential/run-scenario.js'
import { scenarioArbitrary } from './differential/scenario-arbitrary.js'
import { useDatabasePair } from './differential/use-databases.js'
import type { TestDatabase } from './support/databases.js'

/**
 * Real FOREIGN KEYs are the oracle: every random schema and statement sequence must end the same way
 * (per-statement success or SQLSTATE class, final tables) through refguard on tables without constraints.
 * REFGUARD_DIFF_RUNS sets the number of sequences (nightly: 5000); REFGUARD_DIFF_SEED replays a failure.
 */
const RUNS = Number(process.env.REFGUARD_DIFF_RUNS ?? 500)
const SEED = process.env.REFGUARD_DIFF_SEED === undefined ? {} : { seed: Number(process.env.REFGUARD_DIFF_SEED) }
const SIZE = { minStatements: 5, maxStatements: 15 }
const PGLITE_RUNS = Math.max(1, Math.round(RUNS / 5))
/** Generous: a failing run also spends time shrinking its counterexample. */
const TIMEOUT_MS = 30 * 60_000

function agreementProperty(dialect: OracleDialect, databases: { oracle: TestDatabase; subject: TestDatabase }, enforcement: Enforcement) {
  return fc.asyncProperty(scenarioArbitrary(dialect, SIZE), (scenario) => expectAgreement({ ...databases, enforcement }, scenario))
}

for (const dialect of ['postgres', 'mariadb'] as const) {
  describe(`differential: refguard vs native FOREIGN KEYs on ${dialect}`, () => {
    const databases = useDatabasePair(dialect, dialect)

    it(
      `agrees on ${RUNS} random schemas and statement sequences`,
      async () => {
        await fc.assert(agreementProperty(dialect, databases, refguardEnforcement), { numRuns: RUNS, includeErrorInReport: true, ...SEED })
      },
      TIMEOUT_MS,
    )

    it('finds a disagreement when nothing enforces the relations', async () => {
      const result = await fc.check(agreementProperty(dialect, databases, noEnforcement), { numRuns: 200, endOnFailure: true })
      expect(result.failed).toBe(true)
    })
  })
}

describe('differential: refguard on PGlite vs native FOREIGN KEYs on postgres', () => {
  const databases = useDatabasePair('postgres', 'pglite')

  it(
    `agrees on ${PGLITE_RUNS} random schemas and statement sequences`,
    async () => {
      await fc.assert(agreementProperty('postgres', databases, refguardEnforcement), {
        numRuns: PGLITE_RUNS,
        includeErrorInReport: true,
        ...SEED,
      })
    },
    TIMEOUT_MS,
  )
})
