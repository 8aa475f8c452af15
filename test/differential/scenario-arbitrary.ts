import fc from 'fast-check'
import type { OracleDialect, Scenario } from './model.js'
import { resolveSchema, schemaSpecArbitrary } from './schema-arbitrary.js'
import { resolveSeed, seedSpecArbitrary } from './seed-arbitrary.js'
import { resolveStatement, statementSpecArbitrary } from './statement-arbitrary.js'

/** How many generated statements follow the seed inserts. */
export interface ScenarioSize {
  minStatements: number
  maxStatements: number
}

/** Almost always a statement; shrinking turns statements into nothing, so counterexamples get shorter than `minStatements`. */
const removableStatement = fc.option(statementSpecArbitrary(), { freq: 1_000_000, nil: undefined })

/**
 * A schema, valid seed inserts, then random writes. The parts are generated independently and fitted
 * together afterwards, so fast-check can shrink each one without invalidating the others.
 */
export function scenarioArbitrary(dialect: OracleDialect, size: ScenarioSize): fc.Arbitrary<Scenario> {
  return fc
    .record({
      schema: schemaSpecArbitrary(dialect),
      seed: seedSpecArbitrary(),
      statements: fc.array(removableStatement, { minLength: size.minStatements, maxLength: size.maxStatements }),
    })
    .map((spec) => {
      const schema = resolveSchema(spec.schema, dialect)
      const generated = spec.statements.flatMap((statement) => (statement ? [resolveStatement(schema, statement, dialect)] : []))
      const statements = [...resolveSeed(schema, spec.seed), ...generated]
      return { schema, statements }
    })
}
