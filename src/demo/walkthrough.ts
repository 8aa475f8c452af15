import { runCheck } from '../audit/check.js'
import { resolveConfig } from '../config/normalize.js'
import { openDatabase } from '../db/connect.js'
import { DatabaseSet } from '../db/database-set.js'
import { enforcementSection } from './enforcement.js'
import type { DemoExample } from './example.js'
import { inferenceSection } from './inference.js'
import { legacyExample } from './legacy.js'
import { modesSection } from './modes.js'
import { closing, exampleSection, introduction, loaded } from './narration.js'
import { recipesExample } from './recipes.js'
import { repairSection } from './repair.js'
import { retailerExample } from './retailer.js'
import { splitSection } from './split.js'

const EXAMPLES: readonly DemoExample[] = [recipesExample, legacyExample, retailerExample]
const MEMORY_URL = 'pglite://memory'
const SAMPLE = 5

/** Runs the demo tour on one in-memory PGlite database, writing the narration through `write`. */
export async function runWalkthrough(write: (text: string) => void): Promise<void> {
  const started = performance.now()
  write(introduction(EXAMPLES))
  const config = resolveConfig({ databases: { main: MEMORY_URL }, relations: EXAMPLES.flatMap((example) => example.relations) })
  const database = await openDatabase('main', MEMORY_URL)
  try {
    for (const example of EXAMPLES) await example.seed(database.db)
    write(loaded(EXAMPLES, performance.now() - started))
    const databases = new DatabaseSet(config, { main: database })
    for (const [index, example] of EXAMPLES.entries()) {
      const names = config.relations.filter((relation) => relation.child.schema === example.schema).map((relation) => relation.name)
      const report = await runCheck(config, databases, { relations: names, sample: SAMPLE })
      write(exampleSection(index + 1, example, names, report, SAMPLE))
    }
    write(`${await enforcementSection(database.db, retailerExample.relations)}\n\n`)
    const legacy = config.relations.filter((relation) => relation.child.schema === legacyExample.schema).map((relation) => relation.name)
    write(await repairSection(config, databases, database.db, legacy))
    write(`${await modesSection(database.db)}\n\n`)
    const schemas = EXAMPLES.map((example) => example.schema)
    write(`${await inferenceSection(database, config, schemas)}\n\n`)
    write(`${await splitSection()}\n\n`)
  } finally {
    await database.close()
  }
  write(`${closing(performance.now() - started)}\n`)
}
