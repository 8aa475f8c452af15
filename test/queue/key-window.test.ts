import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyWindow } from '../../src/enforce/key-window.js'
import { engineOf } from '../../src/enforce/own-transaction.js'
import { runQueuedBatch } from '../../src/enforce/queued-batch.js'
import { createGuard, type Guard } from '../../src/index.js'
import { DIALECTS, type TestDatabase } from '../support/databases.js'
import { countRows, createShopDatabase, fillShop, QUEUE_RELATIONS, RELATION_NAMES } from './fixture.js'

describe('KeyWindow', () => {
  it('moves past keys whose children all fitted, sized by what it found', () => {
    const window = new KeyWindow(100)
    expect(window.bounds()).toEqual([0, 1])
    window.advance(100, 1000)
    expect(window.bounds()).toEqual([1, 11])
    window.advance(1000, 1000)
    expect(window.bounds()).toEqual([11, 21])
  })

  it('stays and halves when a window held more children than a batch, and widens when it found none', () => {
    const window = new KeyWindow(100)
    window.advance(0, 1000)
    expect(window.bounds()).toEqual([1, 100])
    window.advance(1001, 1000)
    expect(window.bounds()).toEqual([1, 50])
    window.advance(1001, 1000)
    expect(window.bounds()).toEqual([1, 25])
  })

  it('passes the end and rewinds to the first key', () => {
    const window = new KeyWindow(3)
    window.advance(0, 10)
    window.advance(0, 10)
    expect(window.passedEnd()).toBe(true)
    window.rewind()
    expect(window.passedEnd()).toBe(false)
    expect(window.bounds()[0]).toBe(0)
  })
})

for (const dialect of DIALECTS) {
  describe(`queued batches with a key window on ${dialect}`, () => {
    let test: TestDatabase
    let guard: Guard

    beforeAll(async () => {
      test = await createShopDatabase(dialect, 'window')
      await fillShop(test.db, dialect, { customers: 4, orders: 5, lines: 1 })
      guard = await createGuard({ db: test.db, relations: QUEUE_RELATIONS })
    })
    afterAll(async () => {
      await guard?.close()
      await test?.drop()
    })

    it('does not call a job done while a key the window passed has a child again', async () => {
      await guard.db.deleteFrom('customers').where('id', 'in', [1, 2, 3]).execute()
      const relation = guard.relations.find((candidate) => candidate.name === RELATION_NAMES.orders)
      if (!relation) throw new Error('no orders relation')
      const changes = [[1], [2], [3]].map((key) => ({ before: key, after: key }))
      const window = new KeyWindow(changes.length)
      const batch = () => engineOf(guard).transaction((context) => runQueuedBatch(context, relation, 'delete', changes, 7, window))
      expect(await batch()).toEqual({ rows: 5, finished: false })
      // Written around refguard, after the window passed customer 1: the job must still find it.
      await sql`insert into orders (id, customer_id) values (1000, 1)`.execute(test.db)
      const rows: number[] = []
      for (let finished = false; !finished;) {
        const result = await batch()
        rows.push(result.rows)
        finished = result.finished
        expect(rows.length).toBeLessThan(10)
      }
      expect(rows.reduce((sum, count) => sum + count, 0)).toBe(11)
      expect(await countRows(test.db, 'orders', sql`customer_id in (1, 2, 3)`)).toBe(0)
      expect(await countRows(test.db, 'orders', sql`customer_id = 4`)).toBe(5)
    })
  })
}
