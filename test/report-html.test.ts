import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Finding } from '../src/audit/finding.js'
import type { CheckReport, RelationResult } from '../src/audit/report.js'
import { formatCheckHtml } from '../src/report/html.js'
import { formatCheckMarkdown } from '../src/report/markdown.js'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const LEGACY_TABLE = 'legacy<notes>&"x"'
const LEGACY = 'legacy|notes`author'

function relation(
  fields: Pick<RelationResult, 'name' | 'child' | 'parent' | 'childTable' | 'parentTable'> & Partial<RelationResult>,
): RelationResult {
  return {
    rowsChecked: 0,
    orphans: 0,
    share: 0,
    samples: [],
    ms: 5,
    level: 0,
    complete: true,
    scan: { mode: 'whole', chunks: 1 },
    downstream: [],
    ...fields,
  }
}

/** A shop: customers <- orders <- order_items, products, employees with managers, and a legacy table with awkward names. */
function shopReport(): CheckReport {
  const relations: RelationResult[] = [
    relation({
      name: 'orders_customer',
      child: 'orders(customer_id)',
      parent: 'customers(id)',
      childTable: 'orders',
      parentTable: 'customers',
      rowsChecked: 5000,
      orphans: 12,
      share: 12 / 5000,
      samples: [{ customer_id: 42 }, { customer_id: 77 }, { customer_id: 0 }],
      ms: 31,
      downstream: [{ relation: 'order_items_order', rows: 31 }],
    }),
    relation({
      name: 'order_items_order',
      child: 'order_items(order_id)',
      parent: 'orders(id)',
      childTable: 'order_items',
      parentTable: 'orders',
      rowsChecked: 18000,
      level: 1,
      scan: { mode: 'chunked', chunks: 4 },
    }),
    relation({
      name: 'order_items_product',
      child: 'order_items(product_id)',
      parent: 'products(id)',
      childTable: 'order_items',
      parentTable: 'products',
      rowsChecked: 18000,
    }),
    relation({
      name: 'employees_manager',
      child: 'employees(manager_id)',
      parent: 'employees(id)',
      childTable: 'employees',
      parentTable: 'employees',
      rowsChecked: 120,
    }),
    relation({
      name: 'orders_billing_customer',
      child: 'orders(billing_customer_id)',
      parent: 'customers(id)',
      childTable: 'orders',
      parentTable: 'customers',
      rowsChecked: 1_200_000,
      complete: false,
      ms: 30_000,
      scan: { mode: 'chunked', chunks: 24, note: 'stopped by --max-time 30s after 24 of 40 chunks' },
    }),
    relation({
      name: LEGACY,
      child: `${LEGACY_TABLE}(author_login)`,
      parent: 'employees(login)',
      childTable: LEGACY_TABLE,
      parentTable: 'employees',
      rowsChecked: 40,
      orphans: 3,
      share: 3 / 40,
      level: 1,
      samples: [{ author_login: 'ann<script>' }, { author_login: "o'brien & co" }, { author_login: 'x|y`z' }],
    }),
  ]
  const findings: Finding[] = [
    {
      kind: 'orphans',
      severity: 'error',
      relation: 'orders_customer',
      count: 12,
      message: '12 of 5000 rows (0.24%) of orders(customer_id) reference no row of customers(id)',
      fix: 'DELETE FROM orders c WHERE c.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customers p WHERE p.id = c.customer_id)',
    },
    {
      kind: 'missing-index',
      severity: 'warning',
      relation: 'order_items_product',
      column: 'product_id',
      message: 'order_items(product_id) has no index: every delete of a product scans order_items',
      fix: 'CREATE INDEX order_items_product_id_idx ON order_items (product_id);\nANALYZE order_items;',
    },
    {
      kind: 'orphans',
      severity: 'error',
      relation: LEGACY,
      count: 3,
      message: `3 of 40 rows (7.5%) of ${LEGACY_TABLE}(author_login) reference no row of employees(login)`,
      fix: 'DELETE c FROM `legacy<notes>&"x"` c\nWHERE c.author_login IS NOT NULL\n  AND NOT EXISTS (SELECT 1 FROM employees p WHERE p.login = c.author_login)',
    },
    {
      kind: 'nullability',
      severity: 'warning',
      relation: LEGACY,
      column: 'author_login',
      message: `relation "${LEGACY}" sets author_login to NULL on delete, but the column is NOT NULL`,
      fix: `make ${LEGACY_TABLE}.author_login nullable, or choose another action for relation "${LEGACY}"`,
      baseline: true,
    },
  ]
  return {
    ok: false,
    complete: false,
    relations,
    findings,
    fixOrder: ['orders_customer', 'orders_billing_customer', 'order_items_product', 'employees_manager', 'order_items_order', LEGACY],
    ms: 30_412,
  }
}

const TABLES = ['orders', 'customers', 'order_items', 'products', 'employees', LEGACY_TABLE]
const HEALTH: Record<string, string> = {
  orders_customer: 'error',
  order_items_order: 'ok',
  order_items_product: 'warning',
  employees_manager: 'ok',
  orders_billing_customer: 'unknown',
  [LEGACY]: 'error',
}
const LABELS: Record<string, string> = {
  orders_customer: '12',
  order_items_order: '0',
  order_items_product: '0',
  employees_manager: '0',
  orders_billing_customer: '≥ 0',
  [LEGACY]: '3',
}

/** Splits a Markdown table row into its cells the way GitHub does: at pipes not escaped by a backslash. */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1)
}

describe('markdown check report', () => {
  const markdown = formatCheckMarkdown(shopReport())
  const lines = markdown.split('\n')

  it('starts with a one-line verdict that never calls an incomplete report clean', () => {
    expect(lines[0]).toMatch(/^⚠️ \*\*refguard check: INCOMPLETE: 2 errors, 2 warnings\*\* — /)
    expect(lines[0]).toContain('15 or more orphaned rows in 2 of 6 relations')
    expect(lines[0]).toContain('1 not fully counted, so counts are lower bounds')
    expect(lines[0]).toContain('1 known from the baseline')

    const complete = { ...shopReport(), complete: true }
    complete.relations = complete.relations.filter((result) => result.complete)
    expect(formatCheckMarkdown(complete).split('\n')[0]).toMatch(
      /^❌ \*\*refguard check: 2 errors, 2 warnings\*\* — 15 orphaned rows in 2 of 5 relations/,
    )
    const clean: CheckReport = {
      ok: true,
      complete: true,
      relations: [complete.relations[1] as RelationResult],
      findings: [],
      fixOrder: [],
      ms: 3,
    }
    expect(formatCheckMarkdown(clean).split('\n')[0]).toBe('✅ **refguard check: clean** — 1 relation checked, no orphans')
  })

  it('has a table of relations in report order whose escaped cells keep the columns intact', () => {
    const start = lines.indexOf('| Relation | Child -> Parent | Rows | Orphans | Share | Level | Scan |')
    expect(start).toBeGreaterThan(0)
    expect(lines[start + 1]).toBe('| --- | --- | ---: | ---: | ---: | ---: | --- |')
    const rows = lines.slice(start + 2, start + 8)
    for (const row of rows) expect(cells(row)).toHaveLength(7)
    expect(lines[start + 8]).toBe('')
    expect(rows.map((row) => cells(row)[0]?.trim())).toEqual([
      'orders_customer',
      'order_items_order',
      'order_items_product',
      'employees_manager',
      'orders_billing_customer',
      'legacy\\|notes\\`author',
    ])
    expect(cells(rows[0] as string).map((cell) => cell.trim())).toEqual([
      'orders_customer',
      'orders(customer_id) -> customers(id)',
      '5,000',
      '12',
      '0.24%',
      '0',
      'whole',
    ])
    expect(cells(rows[4] as string).map((cell) => cell.trim())).toEqual([
      'orders_billing_customer',
      'orders(billing_customer_id) -> customers(id)',
      '1,200,000',
      '≥ 0',
      '0%',
      '0',
      'chunked (24 chunks), incomplete: stopped by --max-time 30s after 24 of 40 chunks',
    ])
    expect(cells(rows[5] as string)[1]?.trim()).toBe('legacy\\<notes>\\&"x"(author_login) -> employees(login)')
    expect(cells(rows[5] as string)[4]?.trim()).toBe('7.5%')
  })

  it('groups findings by severity, fences SQL fixes and writes config changes as text', () => {
    const errors = markdown.indexOf('#### Errors (2)')
    const warnings = markdown.indexOf('#### Warnings (2)')
    expect(errors).toBeGreaterThan(0)
    expect(warnings).toBeGreaterThan(errors)
    expect(markdown.slice(errors, warnings)).toContain(
      '  ```sql\n  DELETE c FROM `legacy<notes>&"x"` c\n  WHERE c.author_login IS NOT NULL\n    AND NOT EXISTS (SELECT 1 FROM employees p WHERE p.login = c.author_login)\n  ```',
    )
    expect(markdown.slice(errors, warnings)).toContain('- **orphans** in ``legacy|notes`author``: 3 of 40 rows')
    expect(markdown.slice(warnings)).toContain(
      '  ```sql\n  CREATE INDEX order_items_product_id_idx ON order_items (product_id);\n  ANALYZE order_items;\n  ```',
    )
    expect(markdown.slice(warnings)).toContain('_(in the baseline)_')
    expect(markdown.slice(warnings)).toContain(
      '  Fix: make legacy\\<notes>\\&"x".author_login nullable, or choose another action for relation "legacy\\|notes\\`author"',
    )
    expect(markdown.match(/```sql/g)).toHaveLength(3)

    const fenced: Finding = { kind: 'sentinel', severity: 'warning', message: 'm', fix: "UPDATE t SET note = NULL WHERE note = '```'" }
    const tricky = formatCheckMarkdown({ ok: true, complete: true, relations: [], findings: [fenced], fixOrder: [], ms: 1 })
    expect(tricky).toContain("  ````sql\n  UPDATE t SET note = NULL WHERE note = '```'\n  ````")
  })

  it('lists sample keys and the fix order with downstream effects', () => {
    expect(markdown).toContain('- `orders_customer` (customer_id) (3 of 12): `42`, `77`, `0`')
    expect(markdown).toContain("- ``legacy|notes`author`` (author_login): `ann<script>`, `o'brien & co`, ``x|y`z``")
    const order = markdown.slice(markdown.indexOf('#### Fix order'))
    expect(order).toContain('1. `orders_customer` — level 0, 12 orphans; deleting them orphans 31 rows of `order_items_order`')
    expect(order).toContain('2. `order_items_order` — level 1, 0 orphans')
    expect(order).toContain('3. ``legacy|notes`author`` — level 1, 3 orphans')
    expect(order).not.toContain('employees_manager')
  })
})

interface Box {
  left: number
  top: number
  right: number
  bottom: number
  width: number
  height: number
}

interface Rendered {
  svg: Box
  tables: { table: string; rect: Box; text: Box; name: string }[]
  relations: {
    name: string
    health: string
    stroke: string
    box: Box
    length: number
    start: { x: number; y: number }
    end: { x: number; y: number }
  }[]
  labels: { name: string; text: string; box: Box }[]
  page: { scrollWidth: number; clientWidth: number; widest: number }
}

/** Reads what Chromium drew: boxes in page pixels, computed colours, arrow end points mapped through the SVG's transform. */
function readDiagram(page: Page): Promise<Rendered> {
  return page.evaluate(() => {
    const box = (element: Element) => {
      const { left, top, right, bottom, width, height } = element.getBoundingClientRect()
      return { left, top, right, bottom, width, height }
    }
    const svg = document.querySelector('svg.rg-diagram') as SVGSVGElement
    const matrix = svg.getScreenCTM() as DOMMatrix
    const onScreen = (point: DOMPoint) => {
      const mapped = point.matrixTransform(matrix)
      return { x: mapped.x, y: mapped.y }
    }
    return {
      svg: box(svg),
      tables: [...svg.querySelectorAll('g.rg-table')].map((group) => ({
        table: group.getAttribute('data-table') as string,
        rect: box(group.querySelector('rect') as Element),
        text: box(group.querySelector('text') as Element),
        name: (group.querySelector('text') as Element).textContent as string,
      })),
      relations: [...svg.querySelectorAll('g.rg-relation')].map((group) => {
        const path = group.querySelector('path.rg-edge') as SVGPathElement
        const length = path.getTotalLength()
        return {
          name: group.getAttribute('data-relation') as string,
          health: group.getAttribute('data-health') as string,
          stroke: getComputedStyle(path).stroke,
          box: box(path),
          length,
          start: onScreen(path.getPointAtLength(0)),
          end: onScreen(path.getPointAtLength(length)),
        }
      }),
      labels: [...svg.querySelectorAll('g.rg-label')].map((group) => ({
        name: group.getAttribute('data-relation') as string,
        text: group.textContent as string,
        box: box(group.querySelector('rect') as Element),
      })),
      page: {
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        widest: Math.max(
          ...[...document.querySelectorAll('main *')].filter((e) => !e.closest('.scroll')).map((e) => e.getBoundingClientRect().right),
        ),
      },
    }
  })
}

function inside(inner: Box, outer: Box, tolerance = 0.5): boolean {
  return (
    inner.left >= outer.left - tolerance &&
    inner.top >= outer.top - tolerance &&
    inner.right <= outer.right + tolerance &&
    inner.bottom <= outer.bottom + tolerance
  )
}

function touches(point: { x: number; y: number }, rect: Box, tolerance = 1.5): boolean {
  return (
    point.x >= rect.left - tolerance &&
    point.x <= rect.right + tolerance &&
    point.y >= rect.top - tolerance &&
    point.y <= rect.bottom + tolerance
  )
}

function intersect(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
}

/** Names the hue of a computed `rgb(r, g, b)` colour, independently of the palette the report uses. */
function hue(colour: string): string {
  const [r, g, b] = (colour.match(/\d+/g) ?? []).map(Number) as [number, number, number]
  if (Math.max(r, g, b) - Math.min(r, g, b) < 24) return 'grey'
  if (g > r + 40 && g > b + 40) return 'green'
  if (r > 150 && g < 90 && b < 90) return 'red'
  if (r > 150 && g >= 90 && g < 200 && b < 80) return 'amber'
  return `unclassified ${colour}`
}
const HUES: Record<string, string> = { ok: 'green', error: 'red', warning: 'amber', unknown: 'grey' }

function pngSize(file: string): { width: number; height: number } {
  const png = readFileSync(file)
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}

describe('html check report in Chromium', () => {
  const report = shopReport()
  const html = formatCheckHtml(report, { title: 'Shop <prod> & "staging"', generatedAt: new Date('2026-01-02T03:04:05Z') })
  const dir = mkdtempSync(join(tmpdir(), 'refguard-report-html-'))
  const file = join(dir, 'check-report.html')
  const screenshot = join(dir, 'check-report.png')
  const fileUrl = pathToFileURL(file).href
  const requests: string[] = []
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}; the HTML report test renders the report in it. ` +
          'Install it with `apt-get install -y chromium` (Debian; .ci/run does this in CI).',
      )
    }
    writeFileSync(file, html)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
    page.on('request', (request) => {
      requests.push(request.url())
    })
    await page.route('**/*', (route) => (route.request().url() === fileUrl ? route.continue() : route.abort()))
    await page.goto(fileUrl, { waitUntil: 'load' })
  })

  afterAll(async () => {
    await browser?.close()
  })

  it('is one self-contained, deterministic file', () => {
    expect(formatCheckHtml(shopReport(), { title: 'Shop <prod> & "staging"', generatedAt: new Date('2026-01-02T03:04:05Z') })).toBe(html)
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|\ssrc=|url\((?!#)/i)
    expect(html.match(/https?:\/\/[^"\s]*/g)).toEqual(['http://www.w3.org/2000/svg'])
  })

  it('shows the summary, findings, samples and fix order with every name escaped', async () => {
    expect(await page.title()).toBe('Shop <prod> & "staging"')
    expect(await page.locator('.verdict').getAttribute('data-status')).toBe('incomplete')
    expect(await page.locator('.verdict').textContent()).toBe('refguard check: INCOMPLETE: 2 errors, 2 warnings')
    expect(await page.locator('.detail').textContent()).toContain('generated 2026-01-02T03:04:05.000Z')
    expect(await page.locator('script, notes, b').count()).toBe(0)

    const findings = await page.locator('article.finding').evaluateAll((articles) =>
      articles.map((article) => ({
        severity: article.getAttribute('data-severity'),
        kind: article.getAttribute('data-kind'),
        relation: article.getAttribute('data-relation'),
        fix: (article.querySelector('pre.fix') as Element).textContent,
      })),
    )
    const byErrorFirst = [...report.findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1))
    expect(findings).toEqual(byErrorFirst.map(({ severity, kind, relation, fix }) => ({ severity, kind, relation: relation ?? null, fix })))

    const samples = await page.locator(`.samples`).evaluateAll((blocks) =>
      blocks.map((block) => ({
        relation: block.getAttribute('data-relation'),
        values: [...block.querySelectorAll('tbody td')].map((td) => td.textContent),
      })),
    )
    expect(samples).toEqual([
      { relation: 'orders_customer', values: ['42', '77', '0'] },
      { relation: LEGACY, values: ['ann<script>', "o'brien & co", 'x|y`z'] },
    ])

    const steps = await page.locator('ol.fix-order li').evaluateAll((items) => items.map((item) => item.textContent))
    expect(steps).toEqual([
      'orders_customer — level 0, 12 orphans; deleting them orphans 31 rows of order_items_order',
      'order_items_order — level 1, 0 orphans',
      `${LEGACY} — level 1, 3 orphans`,
    ])
  })

  it('draws every table and relation inside the diagram, coloured by health and labelled with orphan counts', async () => {
    const drawn = await readDiagram(page)
    expect(drawn.svg.width).toBeGreaterThan(200)
    expect(drawn.svg.right).toBeLessThanOrEqual(1280)

    expect(drawn.tables.map((table) => table.table).sort()).toEqual([...TABLES].sort())
    for (const table of drawn.tables) {
      expect(table.rect.width * table.rect.height, table.table).toBeGreaterThan(0)
      expect(inside(table.rect, drawn.svg), `${table.table} inside the SVG`).toBe(true)
      expect(inside(table.text, table.rect), `${table.table}: name fits its box`).toBe(true)
      expect(table.name).toBe(table.table)
    }
    for (const [i, a] of drawn.tables.entries()) {
      for (const b of drawn.tables.slice(i + 1)) expect(intersect(a.rect, b.rect), `${a.table} / ${b.table}`).toBe(false)
    }

    const boxes = new Map(drawn.tables.map((table) => [table.table, table.rect]))
    expect(drawn.relations.map((arrow) => arrow.name)).toEqual(report.relations.map((result) => result.name))
    for (const arrow of drawn.relations) {
      const result = report.relations.find((candidate) => candidate.name === arrow.name) as RelationResult
      expect(arrow.length, arrow.name).toBeGreaterThan(20)
      expect(arrow.box.width + arrow.box.height, arrow.name).toBeGreaterThan(0)
      expect(inside(arrow.box, drawn.svg), `${arrow.name} inside the SVG`).toBe(true)
      expect(arrow.health, arrow.name).toBe(HEALTH[arrow.name])
      expect(hue(arrow.stroke), `${arrow.name} is ${arrow.health}`).toBe(HUES[HEALTH[arrow.name] as string])
      expect(touches(arrow.start, boxes.get(result.childTable) as Box), `${arrow.name} starts at its child`).toBe(true)
      expect(touches(arrow.end, boxes.get(result.parentTable) as Box), `${arrow.name} ends at its parent`).toBe(true)
    }
    const parents = (name: string) => boxes.get(report.relations.find((result) => result.name === name)?.parentTable as string) as Box
    expect(parents('order_items_order').bottom).toBeLessThanOrEqual((boxes.get('order_items') as Box).top)
    expect((boxes.get('customers') as Box).bottom).toBeLessThanOrEqual((boxes.get('orders') as Box).top)

    expect(Object.fromEntries(drawn.labels.map((label) => [label.name, label.text]))).toEqual(LABELS)
    for (const [i, label] of drawn.labels.entries()) {
      expect(inside(label.box, drawn.svg), `label of ${label.name} inside the SVG`).toBe(true)
      for (const other of drawn.labels.slice(i + 1))
        expect(intersect(label.box, other.box), `labels ${label.name} / ${other.name}`).toBe(false)
      for (const table of drawn.tables) expect(intersect(label.box, table.rect), `label ${label.name} over ${table.table}`).toBe(false)
    }

    expect(drawn.page.scrollWidth).toBeLessThanOrEqual(drawn.page.clientWidth)
    expect(drawn.page.widest).toBeLessThanOrEqual(drawn.page.clientWidth)
  })

  it('renders to a non-trivial screenshot without a single network request', async () => {
    await page.screenshot({ path: screenshot, fullPage: true })
    console.info(`report screenshot: ${screenshot}`)
    expect(statSync(screenshot).size).toBeGreaterThan(20_000)
    const size = pngSize(screenshot)
    expect(size.width).toBe(1280)
    expect(size.height).toBeGreaterThan(900)

    const decoder = await browser.newPage()
    const pixels = await decoder.evaluate(async (base64) => {
      const image = new Image()
      image.src = `data:image/png;base64,${base64}`
      await image.decode()
      const canvas = document.createElement('canvas')
      canvas.width = image.width
      canvas.height = image.height
      const context = canvas.getContext('2d') as CanvasRenderingContext2D
      context.drawImage(image, 0, 0)
      const data = context.getImageData(0, 0, image.width, image.height).data
      const colours = new Set<number>()
      for (let i = 0; i < data.length; i += 4)
        colours.add(((data[i] as number) << 16) | ((data[i + 1] as number) << 8) | (data[i + 2] as number))
      return colours.size
    }, readFileSync(screenshot).toString('base64'))
    await decoder.close()
    expect(pixels).toBeGreaterThan(100)

    expect(requests).toEqual([fileUrl])
    expect(await page.evaluate(() => performance.getEntriesByType('resource').length)).toBe(0)
  })
})
