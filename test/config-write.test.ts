import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load.js'
import type { RelationInput } from '../src/config/types.js'
import { addRelationsToConfig } from '../src/config/write.js'
import { writeTempFiles } from './support/cli.js'

const FILM_ACTOR: RelationInput = {
  name: 'film_actor_actor',
  child: { table: 'film_actor', columns: ['actor_id'] },
  parent: { table: 'actor', columns: ['actor_id'] },
  onDelete: 'cascade',
}
const ODD: RelationInput = {
  name: "it's odd",
  child: { table: 'notes', columns: ['owner id'] },
  parent: { table: 'owners', columns: ['id'] },
}

function configFile(name: string, text: string): string {
  return join(writeTempFiles({ [name]: text }), name)
}

const TS_CONFIG = `const label: string = 'relations: [ in a string'

// relations: [ 'not this one' ]
export default ({
  databases: { main: 'pglite://memory' },
  relations: [
    'orders(customer_id) -> customers(id)', // the first one
    { child: { table: 'lines', columns: ['order_id'] }, parent: { table: 'orders', columns: ['id'] } },
  ],
  softDelete: { orders: { column: 'deleted_at' } },
} as { databases: object; relations: unknown[] })
`

/** A fresh path with the same text: Node caches an imported .mjs by its path. */
function copyOf(file: string): string {
  return configFile(basename(file), readFileSync(file, 'utf8'))
}

describe('addRelationsToConfig', () => {
  it('appends to a TypeScript config, keeps every other byte, and the file still loads', async () => {
    const file = configFile('refguard.config.ts', TS_CONFIG)
    const before = readFileSync(file, 'utf8')
    const result = await addRelationsToConfig(file, [FILM_ACTOR, ODD])
    expect(result.added).toEqual([FILM_ACTOR, ODD])
    const after = readFileSync(file, 'utf8')
    const lastItemEnd = before.indexOf('} },\n  ],') + '} }'.length
    expect(after.slice(0, lastItemEnd)).toBe(before.slice(0, lastItemEnd))
    expect(after.endsWith(before.slice(lastItemEnd + 1))).toBe(true)
    expect(after).toContain("\n    { name: 'it\\'s odd', child: { table: 'notes', columns: ['owner id'] }")
    const config = await loadConfig(file)
    expect(config.relations.map((relation) => relation.name)).toEqual([
      'orders_customer_id_fkey',
      'lines_order_id_fkey',
      'film_actor_actor',
      "it's odd",
    ])
    expect(config.relations[2]?.onDelete).toBe('cascade')
  })

  it('does not add a relation the file already has, and leaves the file untouched when nothing is new', async () => {
    const file = configFile(
      'refguard.config.json',
      JSON.stringify({ databases: { main: 'pglite://memory' }, relations: ['film_actor(actor_id) -> actor(actor_id)'] }),
    )
    const before = readFileSync(file, 'utf8')
    const result = await addRelationsToConfig(file, [FILM_ACTOR])
    expect(result).toMatchObject({ added: [], alreadyPresent: [FILM_ACTOR] })
    expect(readFileSync(file, 'utf8')).toBe(before)
  })

  it('fills an empty JSON array, writing JSON', async () => {
    const file = configFile('refguard.config.json', '{\n  "databases": { "main": "pglite://memory" },\n  "relations": [ ]\n}\n')
    await addRelationsToConfig(file, [FILM_ACTOR, FILM_ACTOR])
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { relations: unknown[] }
    expect(parsed.relations).toEqual([FILM_ACTOR])
    expect((await loadConfig(file)).relations).toHaveLength(1)
  })

  it('appends to a one-line array with a trailing comma', async () => {
    const file = configFile(
      'refguard.config.mjs',
      "export default { databases: { main: 'pglite://memory' }, relations: ['a(x) -> b(id)',] }\n",
    )
    await addRelationsToConfig(file, [FILM_ACTOR])
    expect(readFileSync(file, 'utf8')).toBe(
      "export default { databases: { main: 'pglite://memory' }, relations: ['a(x) -> b(id)', { name: 'film_actor_actor', child: { table: 'film_actor', columns: ['actor_id'] }, parent: { table: 'actor', columns: ['actor_id'] }, onDelete: 'cascade' },] }\n",
    )
    expect((await loadConfig(copyOf(file))).relations).toHaveLength(2)
  })

  it('refuses a config whose relations are not an array literal, naming the file, and changes nothing', async () => {
    const text = "const relations = ['a(x) -> b(id)']\nexport default { databases: { main: 'pglite://memory' }, relations }\n"
    const file = configFile('refguard.config.mjs', text)
    await expect(addRelationsToConfig(file, [FILM_ACTOR])).rejects.toThrow(
      /refguard\.config\.mjs: has no `relations: \[\.\.\.\]` array[\s\S]*fix: add `relations: \[\]`/,
    )
    expect(readFileSync(file, 'utf8')).toBe(text)
  })
})
