import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../src/config/normalize.js'
import type { InferredRelation } from '../src/infer/candidate.js'
import { type InferProgress, type InferReport, inferRelations } from '../src/infer/infer.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'
import { APP_RELATIONS, loadAppSchema } from './fixtures/infer/app-schema.js'
import { DJANGO, WORDPRESS } from './fixtures/infer/framework-schemas.js'

function side(candidate: InferredRelation): string {
  return `${candidate.child} -> ${candidate.parent}`
}

function find(report: InferReport, relation: string): InferredRelation {
  const candidate = report.candidates.find((item) => side(item) === relation)
  if (!candidate) throw new Error(`no candidate ${relation}; candidates: ${report.candidates.map(side).join('; ')}`)
  return candidate
}

function details(candidate: InferredRelation, signal: string): string {
  return candidate.evidence
    .filter((item) => item.signal === signal)
    .map((item) => item.detail)
    .join(' | ')
}

for (const dialect of DIALECTS) {
  describe(`infer on ${dialect}`, () => {
    let test: TestDatabase
    let report: InferReport

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'infer')
      await loadAppSchema(test)
      report = await inferRelations(test.database)
    })
    afterAll(() => test?.drop())

    it('accepts exactly the relations the data holds, in naming styles it was not tuned on', () => {
      const accepted = report.candidates.filter((candidate) => candidate.accepted).map(side)
      expect([...accepted].sort()).toEqual([...APP_RELATIONS].sort())
      expect(report).toMatchObject({
        ok: true,
        database: 'main',
        dialect: test.database.dialect.name,
        minConfidence: 0.6,
        tables: 13,
        declared: 0,
      })
      for (const candidate of report.candidates) {
        expect(candidate.confidence).toBeGreaterThanOrEqual(0)
        expect(candidate.confidence).toBeLessThanOrEqual(1)
      }
    })

    it('gives each candidate a relation the config takes, with a unique name', () => {
      const names = report.candidates.map((candidate) => candidate.name)
      expect(new Set(names).size).toBe(names.length)
      const accepted = report.candidates.filter((candidate) => candidate.accepted)
      const config = resolveConfig({ databases: { main: test.url }, relations: accepted.map((candidate) => candidate.relation) })
      expect(config.relations).toHaveLength(APP_RELATIONS.length)
      expect(find(report, 'tasks(project_id) -> projects(id)').relation).toEqual({
        name: 'tasks_project_id_fkey',
        child: { table: 'tasks', columns: ['project_id'] },
        parent: { table: 'projects', columns: ['id'] },
      })
      expect(find(report, "comments(commentable_id) where commentable_type = 'Task' -> tasks(id)").relation).toEqual({
        name: 'comments_commentable_id_tasks_fkey',
        child: { table: 'comments', columns: ['commentable_id'], where: { commentable_type: 'Task' } },
        parent: { table: 'tasks', columns: ['id'] },
      })
    })

    it('says why: names, types, keys, coverage with the orphans it tolerates', () => {
      const project = find(report, 'tasks(project_id) -> projects(id)')
      expect(details(project, 'name')).toContain('`project_id` names projects and its key id')
      expect(details(project, 'type')).toContain('same type')
      expect(details(project, 'key')).toContain('projects.id is its primary key')
      expect(details(project, 'data')).toMatch(/^98(\.0)?% of 600 values found in projects \(12 orphans\)/)
      expect(details(find(report, 'people(manager_id) -> people(id)'), 'name')).toContain('`manager_id` is the role `manager`')
      expect(details(find(report, 'projects(owner_id) -> people(id)'), 'name')).toContain('which a person plays')
      expect(details(find(report, 'projects(id_company) -> companies(id)'), 'name')).toContain(
        '`id_company` names companies after a key word',
      )
      expect(details(find(report, "comments(commentable_id) where commentable_type = 'Project' -> projects(id)"), 'polymorphic')).toContain(
        "commentable_type = 'Project' names projects",
      )
      expect(details(find(report, 'shipments(order_no, line_no) -> order_lines(order_no, line_no)'), 'composite')).toContain(
        '(order_no, line_no) have the names of the unique key order_lines(order_no, line_no)',
      )
    })

    it('leaves 0 used for "none" out of the coverage and says so', () => {
      const createdBy = find(report, 'people(created_by) -> people(id)')
      expect(details(createdBy, 'data')).toContain("66 rows hold 0 or '' where NULL was meant")
      expect(createdBy.accepted).toBe(true)
    })

    it('keeps look-alikes out: a string id, another system’s numbers, a 0/1 flag named like a table', () => {
      const stringId = find(report, 'invoices(company_id) -> companies(id)')
      expect(stringId.accepted).toBe(false)
      expect(details(stringId, 'type')).toMatch(/cannot be compared with (integer|int\(11\)) without a cast/)
      const foreign = find(report, 'legacy_imports(project_id) -> projects(id)')
      expect(foreign.confidence).toBeLessThan(0.1)
      expect(details(foreign, 'data')).toContain('0% of 300 values found in projects')
      const flag = find(report, 'tasks(review) -> reviews(id)')
      expect(flag.accepted).toBe(false)
      expect(details(flag, 'data')).toContain('only 0 and 1')
      expect(report.candidates.some((candidate) => candidate.child.startsWith('tasks(estimate_hours)'))).toBe(false)
    })

    it('samples large children first, and reads every row only for what the sample leaves standing', async () => {
      const progress: InferProgress[] = []
      const sampled = await inferRelations(test.database, { exactUpTo: 100, sampleRows: 100, onProgress: (p) => progress.push(p) })
      expect(sampled.queries.samples).toBeGreaterThan(0)
      expect(details(find(sampled, 'legacy_imports(project_id) -> projects(id)'), 'data')).toContain('0% of 100 sampled values found')
      expect(details(find(sampled, 'tasks(project_id) -> projects(id)'), 'data')).toContain('of 600 values found')
      expect(
        sampled.candidates
          .filter((candidate) => candidate.accepted)
          .map(side)
          .sort(),
      ).toEqual([...APP_RELATIONS].sort())
      expect(new Set(progress.map((p) => p.phase))).toEqual(new Set(['types', 'parents', 'samples', 'exact']))

      const sampleOnly = await inferRelations(test.database, { exactUpTo: 0, sampleRows: 100, sampleOnly: true })
      expect(sampleOnly.queries.exact).toBe(0)
      expect(details(find(sampleOnly, 'tasks(project_id) -> projects(id)'), 'data')).toContain('of 100 sampled values found in projects')
    })

    it('lists candidates below the minimum confidence without accepting them', async () => {
      const strict = await inferRelations(test.database, { minConfidence: 0.95 })
      const accepted = strict.candidates.filter((candidate) => candidate.accepted)
      expect(accepted.length).toBeGreaterThan(0)
      expect(accepted.length).toBeLessThan(APP_RELATIONS.length)
      expect(strict.candidates).toHaveLength(report.candidates.length)
      for (const candidate of strict.candidates) expect(candidate.accepted).toBe(candidate.confidence >= 0.95)
    })

    it('marks what the config already has, and leaves declared foreign keys out', async () => {
      const config = resolveConfig({ databases: { main: test.url }, relations: ['tasks(project_id) -> projects(id)'] })
      const configured = await inferRelations(test.database, { configured: config.relations })
      const marked = configured.candidates.filter((candidate) => candidate.configured).map(side)
      expect(marked).toEqual(['tasks(project_id) -> projects(id)'])
      expect(find(configured, 'tasks(project_id) -> projects(id)').name).toBe(config.relations[0]?.name)

      await sql`alter table orders add constraint orders_company_fk foreign key (company_id) references companies (id)`.execute(test.db)
      const declared = await inferRelations(test.database)
      expect(declared.declared).toBe(1)
      expect(declared.candidates.some((candidate) => candidate.child === 'orders(company_id)')).toBe(false)
    })
  })
}

/**
 * Schemas inside one database are a PostgreSQL notion; MySQL's schemas are separate databases, which a test
 * database cannot hold, so this runs on the PostgreSQL engines only.
 */
for (const dialect of ['pglite', 'postgres'] as const) {
  describe(`infer across schemas on ${dialect}`, () => {
    let test: TestDatabase
    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'inferschema')
      await test.exec(`
        create schema billing;
        create table billing.invoices (id int primary key, total int);
        create table payments (id int primary key, invoice_id int, billing_invoice_id int);
        create table billing.payment_items (id int primary key, payment_id int)`)
      await test.exec(`
        insert into billing.invoices select g, g from generate_series(1, 40) g;
        insert into payments select g, (g % 40) + 1, (g * 3 % 40) + 1 from generate_series(1, 80) g;
        insert into billing.payment_items select g, (g % 80) + 1 from generate_series(1, 120) g`)
    })
    afterAll(() => test?.drop())

    it('looks in the schemas it is given, and names tables by schema where a column does', async () => {
      const report = await inferRelations(test.database, { schemas: ['billing'] })
      const accepted = report.candidates.filter((candidate) => candidate.accepted)
      expect(accepted.map(side).sort()).toEqual([
        'billing.payment_items(payment_id) -> payments(id)',
        'payments(billing_invoice_id) -> billing.invoices(id)',
        'payments(invoice_id) -> billing.invoices(id)',
      ])
      expect(find(report, 'payments(billing_invoice_id) -> billing.invoices(id)').relation).toEqual({
        name: 'payments_billing_invoice_id_fkey',
        child: { table: 'payments', columns: ['billing_invoice_id'] },
        parent: { schema: 'billing', table: 'invoices', columns: ['id'] },
      })
      expect(details(find(report, 'payments(billing_invoice_id) -> billing.invoices(id)'), 'name')).toContain(
        '`billing_invoice_id` names billing.invoices and its key id',
      )
      const defaultOnly = await inferRelations(test.database)
      expect(defaultOnly.tables).toBe(1)
      expect(defaultOnly.candidates).toEqual([])
    })
  })
}

for (const dialect of DIALECTS) {
  for (const framework of [WORDPRESS, DJANGO]) {
    describe(`infer on a ${framework.name}-style schema (${dialect})`, () => {
      let test: TestDatabase
      beforeAll(async () => {
        test = await createTestDatabase(dialect, `infer_${framework.name}`)
        await framework.load(test)
      })
      afterAll(() => test?.drop())

      it('accepts exactly the relations its data holds', async () => {
        const report = await inferRelations(test.database)
        expect(
          report.candidates
            .filter((candidate) => candidate.accepted)
            .map(side)
            .sort(),
        ).toEqual([...framework.relations].sort())
      })
    })
  }
}
