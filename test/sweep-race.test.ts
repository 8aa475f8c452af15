import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createGuard, type Guard, ReferentialIntegrityError } from '../src/index.js'
import { createTestDatabase, type TestDatabase, type TestDialect } from './support/databases.js'

/*
 * A soft delete racing a child write, on two connections. The soft delete locks the rows it marks (FOR UPDATE)
 * before its RESTRICT check, and a child write share-locks the parent it checks, so one waits for the other:
 * either the child commits first and the RESTRICT check sees it, or the mark commits first and the child
 * write finds the parent gone. A soft delete that only ran its UPDATE would take PostgreSQL's FOR NO KEY
 * UPDATE lock, which does not conflict with the child's FOR KEY SHARE: both would commit, leaving a marked
 * parent with a RESTRICT child (this test fails that way when readPreimage is left out of soft-delete.ts).
 */

const SCHEMA = `
create table projects (id int primary key, deleted_at timestamp null);
create table tasks (id int primary key, project_id int)`
const RELATIONS = ['tasks(project_id) -> projects(id) on delete restrict']

/** A promise and whether it has settled yet. */
function watch<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false
  const watched = promise.finally(() => {
    done = true
  })
  watched.catch(() => {})
  return { promise: watched, settled: () => done }
}

/** Runs `body` in a guard.db transaction that commits only when `release` is called. */
function openTransaction(
  guard: Guard,
  body: (trx: Guard['db']) => Promise<unknown>,
): { ready: Promise<void>; release: () => void; done: Promise<void> } {
  let release = () => {}
  let signalReady = () => {}
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve
  })
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  const done = guard.db.transaction().execute(async (trx) => {
    await body(trx)
    signalReady()
    await held
  })
  return { ready, release, done }
}

// PGlite has a single connection: nothing runs concurrently there.
for (const dialect of ['postgres', 'mariadb'] as const satisfies TestDialect[]) {
  describe(`soft delete against a concurrent child write on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard

    beforeAll(async () => {
      test = await createTestDatabase(dialect, 'sweep_race')
      await test.exec(SCHEMA)
      guard = await createGuard({ db: test.db, relations: RELATIONS, softDelete: { projects: { column: 'deleted_at' } } })
    })
    beforeEach(async () => {
      await test.exec('delete from tasks; delete from projects; insert into projects (id) values (1), (2)')
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('a child insert not yet committed makes the soft delete wait, then fail its RESTRICT check', async () => {
      const insert = openTransaction(guard, (trx) => trx.insertInto('tasks').values({ id: 1, project_id: 1 }).execute())
      await insert.ready
      const softDelete = watch(guard.db.deleteFrom('projects').where('id', '=', 1).execute())
      await sleep(500)
      expect(softDelete.settled()).toBe(false)
      insert.release()
      await insert.done
      await expect(softDelete.promise).rejects.toBeInstanceOf(ReferentialIntegrityError)
      const marked = await sql<{ n: unknown }>`select count(*) as n from projects where deleted_at is not null`.execute(test.db)
      expect(Number(marked.rows[0]?.n)).toBe(0)
    })

    it('a soft delete not yet committed makes the child insert wait, then fail', async () => {
      const mark = openTransaction(guard, (trx) => trx.deleteFrom('projects').where('id', '=', 2).execute())
      await mark.ready
      const insert = watch(guard.db.insertInto('tasks').values({ id: 2, project_id: 2 }).execute())
      await sleep(500)
      expect(insert.settled()).toBe(false)
      mark.release()
      await mark.done
      const error = await insert.promise.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ReferentialIntegrityError)
      expect((error as ReferentialIntegrityError).key).toEqual({ project_id: 2 })
      const tasks = await sql<{ n: unknown }>`select count(*) as n from tasks`.execute(test.db)
      expect(Number(tasks.rows[0]?.n)).toBe(0)
    })
  })
}
