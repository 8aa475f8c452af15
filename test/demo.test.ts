import { describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'

/** [rowsChecked, orphans] per relation, as the demo datasets are designed. */
const EXPECTED: Record<string, [number, number]> = {
  ingredients_recipe_id_fkey: [67, 7],
  steps_recipe_id_fkey: [47, 5],
  users_categories_user_id_fkey: [19, 5],
  users_categories_category_id_fkey: [19, 0],
  users_city_id_fkey: [12, 4],
  orders_customer_pk_fkey: [5, 1],
  order_lines_order_pk_fkey: [13, 2],
  order_lines_item_pk_fkey: [13, 0],
}

const HEADINGS = [
  'refguard demo',
  '1. kitchen: a recipe manager',
  '2. legacy: users, cities and categories',
  '3. shop: a retailer',
  '4. shop, enforced',
  '5. legacy, repaired',
  '6. kitchen, three ways',
  '7. every schema, inferred',
  '8. split in two',
  'Run it on your own database',
]

/** The rows and orphans columns of a relation's line in the text report. */
function reportedCounts(output: string, relation: string): [number, number] | undefined {
  const row = new RegExp(`^\\s*${relation}\\s{2,}.+?\\s{2,}(\\d+)\\s+(\\d+)\\s+(?:[\\d.]+%\\s+)?\\d+ ms$`, 'm').exec(output)
  return row ? [Number(row[1]), Number(row[2])] : undefined
}

describe('refguard demo', () => {
  it('tours the three datasets on in-memory PGlite and exits 0', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runCli(['demo'], { env: { NO_COLOR: '1' } })

    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).not.toContain('\u001b[')
    for (const heading of HEADINGS) expect(stdout).toContain(heading)
    for (const [relation, counts] of Object.entries(EXPECTED)) expect(reportedCounts(stdout, relation), relation).toEqual(counts)
    expect(stdout).toContain('7 ingredients and 5 steps still point at recipe 13, which was deleted')
    expect(stdout).toContain('5 users_categories rows belong to users 5, 7, 10 and 14')
    expect(stdout).toContain('4 of 12 users have city_id = 0')
    expect(stdout).toMatch(/\[sentinel\] relation "users_city_id_fkey": 4 rows of users have city_id = 0/)
    expect(stdout).toMatch(/\[type-mismatch\] relation "users_categories_category_id_fkey":\s+users_categories\.category_id is smallint/)
    expect(stdout).toMatch(/\[missing-index\] relation "users_categories_category_id_fkey"/)
    expect(stdout).toContain('1 order still belongs to customer 4')
    expect(stdout).toContain('2 order lines point at order 6')
    expect(stdout).toContain('refguard check --json')
    expect(stdout).toMatch(/Run r[\d-]+[0-9a-f]{4}: done\.\n\s+9 row\(s\) changed, 9 archived in refguard_archive/)
    expect(stdout).toContain('users_categories_user_id_fkey has its 5 orphaned rows back')
    expect(stdout).toMatch(
      /ReferentialIntegrityError: insert or update on table "order_lines" violates relation\s+"order_lines_order_pk_fkey"/,
    )
    expect(stdout).toMatch(/ok: 2 orders and 5 order lines of Helen's went with her \(cascade\)/)
    expect(stdout).toContain('UnguardedWriteError: raw SQL writes table "orders"')
    expect(stdout).toMatch(/Tour finished in \d+\.\d s\.\n$/)
  })
})
