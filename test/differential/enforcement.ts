import type { Kysely } from 'kysely'
import { createGuard } from '../../src/index.js'
import { relationInputs } from './ddl.js'
import type { Schema } from './model.js'

/** A Kysely that writes to the subject database, and how to let go of it. */
export interface EnforcedDb {
  db: Kysely<any>
  close(): Promise<void>
}

/** What stands in for the foreign keys on the subject database, whose tables have none. */
export interface Enforcement {
  label: string
  /** Called once the scenario's tables exist, with the subject's raw Kysely. */
  start(db: Kysely<any>, schema: Schema): Promise<EnforcedDb>
}

/** refguard's `guard.db`, enforcing the scenario's relations. */
export const refguardEnforcement: Enforcement = {
  label: 'refguard',
  async start(db, schema) {
    const guard = await createGuard({ db, relations: relationInputs(schema) })
    return { db: guard.db, close: () => guard.close() }
  },
}

/** No enforcement at all: the differential test must catch this. */
export const noEnforcement: Enforcement = {
  label: 'plain Kysely',
  async start(db) {
    return { db, close: async () => {} }
  },
}
