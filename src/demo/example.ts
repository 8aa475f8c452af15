import type { Kysely } from 'kysely'
import type { CheckReport } from '../audit/check.js'

/** One story of the demo: a schema of its own, the relations it should have had, and its data. */
export interface DemoExample {
  /** The PostgreSQL schema holding the example's tables. */
  schema: string
  /** The heading of the example's section in the tour. */
  title: string
  /** One or two sentences retelling the source story. */
  story: string
  /** The relations in the shorthand form, schema-qualified. */
  relations: string[]
  /** Creates the schema and its tables and fills them, orphans included. */
  seed(db: Kysely<any>): Promise<void>
  /** Guided explanation lines, computed from the check report of this example's relations. */
  explain(report: CheckReport): string[]
}
