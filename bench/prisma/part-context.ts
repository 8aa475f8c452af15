import type { BenchDatabase, Engine } from '../support/databases.js'

/** What every part of the comparison gets for one engine. */
export interface PartContext {
  engine: Engine
  /** The engine as the table names it. */
  label: string
  /** A fresh database on that engine. */
  bench: BenchDatabase
  /** The entry file of the Prisma Client generated from `comparisonSchema` for that engine. */
  clientEntry: string
}
