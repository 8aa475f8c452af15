import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCheck } from '../src/audit/check.js'
import { type ResolvedConfig, resolveConfig } from '../src/config/normalize.js'
import { openDatabase } from '../src/db/connect.js'
import { DatabaseSet } from '../src/db/database-set.js'
import { UsageError } from '../src/errors.js'
import { createGuard } from '../src/index.js'
import { parseStrategies } from '../src/repair/plan.js'
import { type RepairOptions, type RepairReport, runRepair } from '../src/repair/repair.js'
import { runRestore } from '../src/repair/restore.js'
import { CHAIN_FIXTURE, CHAIN_RELATIONS, createRepairFixture, databaseContents, REPAIR_RELATIONS, REPAIR_TABLES } from './repair/fixture.js'
import { archiveEntries } from './support/archive.js'
import { runCli, writeTempFiles } from './support/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js'

/** audit_log's orphans stay: the "ignore" strategy. */
const IGNORE_AUDIT = { audit_log_customer_id_fkey: 'ignore' } as const

/** The dry-run plan, in fix order: [relation, kind, strategy, planned, status]; the same on every dialect. */
const PLAN: Array<[string, string, string, number, string]> = [
  ['customers_region_id_fkey', 'sentinel', 'set-null', 3, 'skipped'],
  ['customers_region_id_fkey', 'orphans', 'delete', 1, 'pending'],
  ['audit_log_customer_id_fkey', 'orphans', 'ignore', 2, 'skipped'],
  // 2 own orphans + orders 2 and 7 of customer 5, which the step before deletes.
  ['orders_customer_id_fkey', 'orphans', 'delete', 4, 'pending'],
  ['events_customer_id_fkey', 'orphans', 'delete', 2, 'pending'],
  ['events_order_id_fkey', 'orphans', 'set-null', 2, 'pending'],
  ['notes_order_id_fkey', 'orphans', 'set-null', 2, 'pending'],
  // 1 own orphan + the 3 rows of orders 3 and 5 (own orphans of the orders step).
  ['order_items_order_id_fkey', 'orphans', 'delete', 4, 'pending'],
]

/** After `apply` with `alter`: [relation, kind, changed, status]; the rows of orders 2 and 7 are found by the run, not the plan. */
const APPLIED: Array<[string, string, number, string]> = [
  ['customers_region_id_fkey', 'sentinel', 3, 'done'],
  ['customers_region_id_fkey', 'orphans', 1, 'done'],
  ['audit_log_customer_id_fkey', 'orphans', 0, 'skipped'],
  ['orders_customer_id_fkey', 'orphans', 4, 'done'],
  ['events_customer_id_fkey', 'orphans', 2, 'done'],
  ['events_order_id_fkey', 'orphans', 3, 'done'],
  ['notes_order_id_fkey', 'orphans', 3, 'done'],
  ['order_items_order_id_fkey', 'orphans', 6, 'done'],
]
const APPLIED_ROWS = 22

const planOf = (report: RepairReport) => report.steps.map((step) => [step.relation, step.kind, step.strategy, step.planned, step.status])
const runOf = (report: RepairReport) => report.steps.map((step) => [step.relation, step.kind, step.changed, step.status])

/** A report without what differs between two equal runs: durations and the run id. */
function comparable(report: unknown): unknown {
  return JSON.parse(
    JSON.stringify(report, (key, value) => (key === 'ms' || key === 'longestBatchMs' || key === 'runId' ? undefined : value)),
  )
}

/** The rejection of `promise`, which must be a UsageError. */
async function usageFailure(promise: Promise<unknown>): Promise<UsageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UsageError)
  return error as UsageError
}

/** PostgreSQL: sessions (the CLI's too) in a zone with a half-hour offset, so timestamptz text carries non-UTC offsets. */
async function useOddTimeZone(test: TestDatabase): Promise<void> {
  if (test.dialect === 'mariadb') return
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(test.db)
  await sql`alter database ${sql.id(rows[0]?.name as string)} set timezone to 'America/St_Johns'`.execute(test.db)
  await sql`set timezone to 'America/St_Johns'`.execute(test.db)
}

for (const dialect of DIALECTS) {
  describe(`repair on ${dialect}`, () => {
    let test: TestDatabase
    let config: ResolvedConfig
    let databases: DatabaseSet
    let original: Record<string, string[]>
    const repair = (options: RepairOptions = {}) => runRepair(config, databases, options)
    const restore = (runId: string, options: Parameters<typeof runRestore>[3] = {}) => runRestore(config, databases, runId, options)
    const contents = () => databaseContents(test.db, dialect)
    const count = async (table: string, where = sql`1 = 1`) => {
      const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.id(table)} where ${where}`.execute(test.db)
      return Number(rows[0]?.n)
    }
    const archivedRows = async (runId: string) => (await archiveEntries(test.db, runId)).length
    const orphansLeft = async () => {
      const report = await runCheck(config, databases)
      return Object.fromEntries(report.relations.filter((r) => r.orphans > 0).map((r) => [r.name, r.orphans]))
    }

    /** Drops everything (refguard's tables too) and creates the fixture again. */
    const reset = async () => {
      const tables = [...REPAIR_TABLES, 'chain_a', 'chain_b', 'chain_c', 'chain_d', 'refguard_archive', 'refguard_runs']
      for (const table of tables) await sql`drop table if exists ${sql.id(table)}`.execute(test.db)
      await createRepairFixture(test.db, dialect, test.exec)
    }

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'repair')
      await useOddTimeZone(test)
      config = resolveConfig({ databases: { main: test.url }, relations: REPAIR_RELATIONS })
      databases = new DatabaseSet(config, { main: test.database })
      await reset()
      original = await contents()
    })
    afterAll(() => test?.drop())

    describe('dry run', () => {
      it('changes nothing and plans steps in fix order, counting the rows earlier deletes orphan', async () => {
        const report = await repair({ strategies: IGNORE_AUDIT })
        expect(planOf(report)).toEqual(PLAN)
        expect(report).toMatchObject({ runId: null, applied: false, complete: false, changed: 0, archived: 0, remainingOrphans: 10 })
        const orders = report.check.relations.find((r) => r.name === 'orders_customer_id_fkey')
        expect(orders?.downstream).toContainEqual({ relation: 'order_items_order_id_fkey', rows: 3 })
        expect(report.check.relations.find((r) => r.name === 'order_items_order_id_fkey')?.orphans).toBe(1)
        expect(await contents()).toEqual(original)
        const runs = await sql`select 1 from refguard_runs`.execute(test.db).catch(() => undefined)
        expect(runs?.rows ?? []).toEqual([])
      })

      it('plans a sentinel step on a NOT NULL column as skipped without alter, pending with it', async () => {
        const [sentinel] = (await repair({ strategies: IGNORE_AUDIT })).steps
        expect(sentinel).toMatchObject({ kind: 'sentinel', column: 'region_id', value: 0, planned: 3, status: 'skipped' })
        expect(sentinel?.alter).toMatch(dialect === 'mariadb' ? /MODIFY region_id int(\(11\))? NULL DEFAULT NULL/ : /DROP NOT NULL/)
        expect(sentinel?.skip).toContain('--alter')
        const [altered] = (await repair({ strategies: IGNORE_AUDIT, alter: true })).steps
        expect(altered).toMatchObject({ kind: 'sentinel', status: 'pending' })
        expect(altered?.skip).toBeUndefined()
        expect(await contents()).toEqual(original)
      })
    })

    describe('apply', () => {
      const endStates = new Map<number, Record<string, string[]>>()

      for (const batchSize of [1, 1000]) {
        it(`batch size ${batchSize}: check is clean afterwards, every changed row archived`, async () => {
          await reset()
          const report = await repair({ apply: true, alter: true, batchSize, strategies: IGNORE_AUDIT })
          expect(report).toMatchObject({ applied: true, complete: true, rounds: 1, remainingOrphans: 0 })
          expect(runOf(report)).toEqual(APPLIED)
          for (const step of report.steps) expect(step.archived).toBe(step.changed)
          expect(report.changed).toBe(APPLIED_ROWS)
          expect(report.archived).toBe(APPLIED_ROWS)
          expect(await archivedRows(report.runId as string)).toBe(APPLIED_ROWS)
          const batches = report.steps.reduce((sum, step) => sum + step.batches, 0)
          expect(batches).toBe(batchSize === 1 ? APPLIED_ROWS : APPLIED.filter(([, , changed]) => changed > 0).length)

          const check = await runCheck(config, databases)
          expect(check.findings.filter((f) => f.kind === 'sentinel')).toEqual([])
          expect(await orphansLeft()).toEqual({ audit_log_customer_id_fkey: 2 })
          expect(await count('customers', sql`region_id is null`)).toBe(3)
          // MariaDB stamps updated_at with the time of the repair's own updates: equal end states differ there.
          if (dialect === 'mariadb') await sql`update events set updated_at = ${'2000-01-01 00:00:00'}`.execute(test.db)
          endStates.set(batchSize, await contents())
        })
      }

      it('ends in the same state with batch size 1 and 1000; delete, set-null and ignore as planned', async () => {
        const end = endStates.get(1000) as Record<string, string[]>
        expect(endStates.get(1)).toEqual(end)
        const ids = async (table: string, where = sql`1 = 1`) => {
          const { rows } = await sql<{ id: unknown }>`select id from ${sql.id(table)} where ${where} order by id`.execute(test.db)
          return rows.map((row) => Number(row.id))
        }
        expect(await ids('customers')).toEqual([1, 2, 3, 4, 6, 7])
        expect(await ids('orders')).toEqual([1, 4, 6])
        expect(await count('order_items')).toBe(2)
        expect(await ids('notes')).toEqual([1, 2, 3, 4, 5])
        expect(await ids('notes', sql`order_id is null`)).toEqual([2, 3, 4, 5])
        expect(await ids('events')).toEqual([1, 3, 5, 6, 7])
        expect(await ids('events', sql`order_id is null`)).toEqual([3, 5, 6, 7])
        expect(end.audit_log).toEqual(original.audit_log)
      })

      it('honours --strategy: set-null instead of a cascade keeps the orders and their lines', async () => {
        await reset()
        const report = await repair({ apply: true, strategies: { ...IGNORE_AUDIT, orders_customer_id_fkey: 'set-null' } })
        const orders = report.steps.find((step) => step.relation === 'orders_customer_id_fkey')
        expect(orders).toMatchObject({ strategy: 'set-null', changed: 4, archived: 4 })
        expect(await count('orders')).toBe(7)
        expect(await count('orders', sql`customer_id is null`)).toBe(5)
        expect(await count('order_items')).toBe(7)
        expect(report.steps.find((step) => step.relation === 'notes_order_id_fkey')).toMatchObject({ changed: 1 })
        // Without --alter the sentinel rows stay: the only orphans left.
        expect(report.steps[0]).toMatchObject({ kind: 'sentinel', status: 'skipped', changed: 0 })
        expect(report.remainingOrphans).toBe(3)
        expect(await orphansLeft()).toEqual({ customers_region_id_fkey: 3, audit_log_customer_id_fkey: 2 })
      })
    })

    describe('restore', () => {
      it('puts every row back exactly from refguard_archive: every column of every table', async () => {
        await reset()
        const report = await repair({ apply: true, alter: true, batchSize: 1, strategies: IGNORE_AUDIT })
        const repaired = await contents()
        const dry = await restore(report.runId as string)
        expect(dry.applied).toBe(false)
        expect(await contents()).toEqual(repaired)
        const restored = await restore(report.runId as string, { apply: true })
        expect(restored.tables.reduce((sum, table) => sum + table.reinserted + table.reverted, 0)).toBe(APPLIED_ROWS)
        expect(restored.tables.find((table) => table.table === 'events')).toEqual({ table: 'events', reinserted: 2, reverted: 3 })
        expect(await contents()).toEqual(original)
      })

      it('archives a batch as one row (PostgreSQL: a JSON array of its rows) and restores archives written a row per changed row', async () => {
        await reset()
        const report = await repair({ apply: true, alter: true, batchSize: 1000, strategies: IGNORE_AUDIT })
        const raw = async () => Number((await sql<{ n: unknown }>`select count(*) as n from refguard_archive`.execute(test.db)).rows[0]?.n)
        const batches = report.steps.reduce((sum, step) => sum + step.batches, 0)
        expect(await raw()).toBe(dialect === 'mariadb' ? APPLIED_ROWS : batches)
        expect(batches).toBeLessThan(APPLIED_ROWS)
        if (dialect !== 'mariadb') {
          // The layout before batches were arrays: one archive row per changed row, its row_data an object.
          await sql`insert into refguard_archive (run_id, batch, step, relation, table_schema, table_name, action, changed_columns, row_data)
            select a.run_id, a.batch, a.step, a.relation, a.table_schema, a.table_name, a.action, a.changed_columns, e.value
            from refguard_archive a, json_array_elements(a.row_data) e where json_typeof(a.row_data) = 'array'`.execute(test.db)
          await sql`delete from refguard_archive where json_typeof(row_data) = 'array'`.execute(test.db)
          expect(await raw()).toBe(APPLIED_ROWS)
        }
        await restore(report.runId as string, { apply: true })
        expect(await contents()).toEqual(original)
      })

      it('puts every row back exactly from a JSONL archive file', async () => {
        await reset()
        const file = join(writeTempFiles({}), 'archive.jsonl')
        const report = await repair({ apply: true, alter: true, archive: `file:${file}`, strategies: IGNORE_AUDIT })
        expect(report).toMatchObject({ complete: true, changed: APPLIED_ROWS, archived: APPLIED_ROWS, archive: `file:${file}` })
        expect(await archivedRows(report.runId as string)).toBe(0)
        const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
        expect(lines).toHaveLength(APPLIED_ROWS)
        expect(lines.map((line) => JSON.parse(line).run)).toEqual(lines.map(() => report.runId))
        // A batch written to the file but never committed (the run stopped in between) is not restored.
        const deleted = lines.map((line) => JSON.parse(line)).find((entry) => entry.action === 'delete')
        const uncommitted = { ...deleted, batch: 1_000 }
        writeFileSync(file, `${JSON.stringify(uncommitted)}\n`, { flag: 'a' })
        await restore(report.runId as string, { apply: true })
        expect(await contents()).toEqual(original)
      })

      it('restores one relation and leaves the run restorable for the rest', async () => {
        await reset()
        const report = await repair({ apply: true, alter: true, strategies: IGNORE_AUDIT })
        const repaired = await contents()
        await restore(report.runId as string, { apply: true, relations: ['notes_order_id_fkey'] })
        expect(await contents()).toEqual({ ...repaired, notes: original.notes })
        await restore(report.runId as string, { apply: true, relations: ['customers_region_id_fkey', 'orders_customer_id_fkey'] })
        await restore(report.runId as string, { apply: true, relations: ['events_customer_id_fkey', 'events_order_id_fkey'] })
        await restore(report.runId as string, { apply: true, relations: ['order_items_order_id_fkey'] })
        expect(await contents()).toEqual(original)
      })
    })

    describe('bad input: a clear error and nothing changed', () => {
      beforeAll(reset)

      it('unknown relation in --relation and in --strategy, with did-you-mean', async () => {
        const relation = await usageFailure(repair({ apply: true, relations: ['orders_customer_id_fky'] }))
        expect(relation.message).toContain('unknown relation "orders_customer_id_fky" (did you mean "orders_customer_id_fkey"?)')
        const strategy = await usageFailure(repair({ apply: true, strategies: { notes_order_fkey: 'delete' } }))
        expect(strategy.message).toContain('unknown relation "notes_order_fkey" (did you mean "notes_order_id_fkey"?)')
        expect(() => parseStrategies(['orders_customer_id_fkey=drop'], config.relations)).toThrow(
          /strategy must be delete, set-null, set-default or ignore/,
        )
        expect(await contents()).toEqual(original)
      })

      it('set-null on a NOT NULL column, refused before any change', async () => {
        const error = await usageFailure(repair({ apply: true, alter: true, strategies: { order_items_order_id_fkey: 'set-null' } }))
        expect(error.message).toContain('strategy set-null on NOT NULL column order_items.order_id: nothing was changed')
        expect(await contents()).toEqual(original)
      })

      it('set-null on a NOT NULL column that only a later round would reach, refused before any change', async () => {
        await test.exec(CHAIN_FIXTURE)
        const chain = resolveConfig({ databases: { main: test.url }, relations: CHAIN_RELATIONS })
        const chainDatabases = new DatabaseSet(chain, { main: test.database })
        const before = await Promise.all(['chain_b', 'chain_c', 'chain_d'].map((table) => count(table)))
        const error = await usageFailure(runRepair(chain, chainDatabases, { apply: true, strategies: { chain_d_c_id_fkey: 'set-null' } }))
        expect(error.message).toContain('strategy set-null on NOT NULL column chain_d.c_id: nothing was changed')
        expect(await Promise.all(['chain_b', 'chain_c', 'chain_d'].map((table) => count(table)))).toEqual(before)
        const repaired = await runRepair(chain, chainDatabases, { apply: true })
        expect(repaired).toMatchObject({ complete: true, changed: 3, rounds: 2, remainingOrphans: 0 })
      })

      it('set-default without a default', async () => {
        const error = await usageFailure(repair({ apply: true, strategies: { notes_order_id_fkey: 'set-default' } }))
        expect(error.message).toContain('strategy set-default, but notes.order_id has no default: nothing was changed')
        expect(await contents()).toEqual(original)
      })

      it('an archive file that cannot be opened', async () => {
        const error = await usageFailure(repair({ apply: true, archive: 'file:/nonexistent-dir/archive.jsonl', strategies: IGNORE_AUDIT }))
        expect(error.message).toMatch(/cannot open archive file \/nonexistent-dir\/archive.jsonl: ENOENT.*nothing was changed/)
        expect(await contents()).toEqual(original)
      })

      it('a full disk under the archive file: the batch rolls back', async () => {
        const error = await usageFailure(repair({ apply: true, archive: 'file:/dev/full', strategies: IGNORE_AUDIT }))
        expect(error.message).toMatch(/cannot write archive file \/dev\/full: ENOSPC.*the batch was rolled back/)
        expect(error.message).toMatch(/refguard repair --resume r\d{8}-\d{6}-[0-9a-f]{4}/)
        expect(await contents()).toEqual(original)
      })

      it('restore of an unknown run', async () => {
        const error = await usageFailure(restore('r20000101-000000-dead', { apply: true }))
        expect(error.message).toContain('unknown repair run "r20000101-000000-dead"')
        expect(await contents()).toEqual(original)
      })

      it('restore when a deleted row exists again; then twice', async () => {
        const report = await repair({ apply: true, alter: true, strategies: IGNORE_AUDIT })
        await sql`insert into order_items values (10, 1, 999)`.execute(test.db)
        const repaired = await contents()
        const conflict = await usageFailure(restore(report.runId as string, { apply: true }))
        expect(conflict.message).toMatch(
          /cannot restore into order_items: a row that the repair deleted conflicts with a row that exists now/,
        )
        expect(conflict.message).toContain('nothing was restored')
        expect(await contents()).toEqual(repaired)

        await sql`delete from order_items where order_id = 10`.execute(test.db)
        await restore(report.runId as string, { apply: true })
        expect(await contents()).toEqual(original)
        const twice = await usageFailure(restore(report.runId as string, { apply: true }))
        expect(twice.message).toContain(`repair run "${report.runId}" was already restored`)
        expect(await contents()).toEqual(original)
      })
    })

    describe('through the CLI and guard.repair', () => {
      let dir: string
      let cli: TestDatabase
      let appliedRun: string
      const configFile = () => join(dir, 'refguard.json')
      /** Opens the CLI's database for a moment: PGlite allows one process at a time. */
      const cliContents = async () => {
        const database = await openDatabase('main', cli.url)
        try {
          return await databaseContents(database.db, dialect)
        } finally {
          await database.close()
        }
      }

      beforeAll(async () => {
        cli = await createTestDatabase(dialect, 'repaircli')
        await useOddTimeZone(cli)
        await createRepairFixture(cli.db, dialect, cli.exec)
        await cli.disconnect()
        dir = writeTempFiles({ 'refguard.json': JSON.stringify({ databases: { main: { url: cli.url } }, relations: REPAIR_RELATIONS }) })
      })
      afterAll(() => cli?.drop())

      it('repair --json prints the plan (runId null), the same object as guard.repair()', async () => {
        const result = await runCli(['repair', '--json', '--config', configFile(), '--strategy', 'audit_log_customer_id_fkey=ignore'])
        expect(result.code).toBe(1)
        const printed = JSON.parse(result.stdout) as RepairReport
        expect(printed.runId).toBeNull()
        expect(planOf(printed)).toEqual(PLAN)
        expect(await cliContents()).toEqual(original)

        await reset()
        const guard = await createGuard({ db: test.db, relations: REPAIR_RELATIONS })
        try {
          expect(comparable(await guard.repair({ strategies: IGNORE_AUDIT }))).toEqual(comparable(printed))
        } finally {
          await guard.close()
        }
      })

      it('repair --apply exits 0 when done, and guard.repair({ apply }) returns the same object', async () => {
        const args = [
          '--config',
          configFile(),
          '--strategy',
          'audit_log_customer_id_fkey=ignore',
          '--apply',
          '--alter',
          '--batch-size',
          '2',
        ]
        const result = await runCli(['repair', '--json', ...args])
        expect(result.stderr).toBe('')
        expect(result.code).toBe(0)
        const printed = JSON.parse(result.stdout) as RepairReport
        expect(printed).toMatchObject({ applied: true, complete: true, changed: APPLIED_ROWS, archived: APPLIED_ROWS })
        expect(printed.runId).toMatch(/^r\d{8}-\d{6}-[0-9a-f]{4}$/)
        appliedRun = printed.runId as string

        await reset()
        const guard = await createGuard({ db: test.db, relations: REPAIR_RELATIONS })
        try {
          const report = await guard.repair({ strategies: IGNORE_AUDIT, apply: true, alter: true, batchSize: 2 })
          expect(comparable(report)).toEqual(comparable(printed))
        } finally {
          await guard.close()
        }
        await reset()

        const again = await runCli(['repair', ...args])
        expect(again.code).toBe(0)
        expect(again.stdout).toMatch(/: done\.\s+0 row\(s\) changed, 0 archived in refguard_archive/)
      })

      it('restore RUN_ID previews, then --apply puts everything back', async () => {
        const preview = await runCli(['restore', appliedRun, '--config', configFile()])
        expect(preview.code).toBe(0)
        expect(preview.stdout).toMatch(/events +2 +3/)
        expect(preview.stdout).toContain('pass --apply')
        const one = await runCli(['restore', appliedRun, '--relation', 'notes_order_id_fkey', '--json', '--config', configFile()])
        expect(JSON.parse(one.stdout).tables).toEqual([{ table: 'notes', reinserted: 0, reverted: 3 }])

        const applied = await runCli(['restore', appliedRun, '--apply', '--json', '--config', configFile()])
        expect(applied.code).toBe(0)
        expect(JSON.parse(applied.stdout)).toMatchObject({ runId: appliedRun, applied: true })
        expect(await cliContents()).toEqual(original)

        const twice = await runCli(['restore', appliedRun, '--apply', '--config', configFile()])
        expect(twice.code).toBe(2)
        expect(twice.stderr).toContain('was already restored')
        const unknown = await runCli(['restore', 'r-nope', '--apply', '--json', '--config', configFile()])
        expect(unknown.code).toBe(2)
        expect(JSON.parse(unknown.stdout).error.message).toContain('unknown repair run "r-nope"')
      })

      it('exits 2 on an unknown --strategy relation, suggesting the right one', async () => {
        const result = await runCli(['repair', '--apply', '--config', configFile(), '--strategy', 'orders_customer_fkey=delete'])
        expect(result.code).toBe(2)
        expect(result.stderr).toContain('unknown relation "orders_customer_fkey" (did you mean "orders_customer_id_fkey"?)')
        expect(await cliContents()).toEqual(original)
      })

      it('--help for repair and restore', async () => {
        const help = await runCli(['repair', '--help'])
        expect(help.code).toBe(0)
        for (const option of ['--apply', '--alter', '--batch-size', '--sleep', '--strategy', '--archive', '--resume', '--relation']) {
          expect(help.stdout).toContain(option)
        }
        const restoreHelp = await runCli(['restore', '--help'])
        expect(restoreHelp.code).toBe(0)
        expect(restoreHelp.stdout).toMatch(/restore \[options\] <run-id>/)
        expect(restoreHelp.stdout).toContain('--apply')
      })
    })
  })
}
