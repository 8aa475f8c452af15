import { setTimeout as sleep } from 'node:timers/promises'
import { openWorkerConnection, type RaceDatabase } from './connections.js'
import type { OperationsFactory, RaceOperations } from './operations.js'
import { classifyError, type OperationKind, Tally } from './outcomes.js'
import { ParentSlots } from './parent-slots.js'
import { countOrphans, createRaceTables } from './schema.js'

/** How many workers of each role run at once. */
export interface WorkerMix {
  inserters: number
  deleters: number
  keyUpdaters: number
}

/** One race: who runs, over which operations, for how long. */
export interface RaceOptions {
  test: RaceDatabase
  operations: OperationsFactory
  workers: WorkerMix
  parents: number
  seconds: number
  maxOperationsPerWorker: number
  /** Ends the run as soon as the orphan poll sees one (for proving the naive baseline fails). */
  stopAtFirstOrphan?: boolean
  /**
   * Kinds that must commit at least once for the run to mean something: past `seconds`, every worker keeps going
   * until each of them has, for at most `seconds` × OVERTIME_FACTOR in all (a slow, deadlock-bound machine).
   */
  untilCommitted?: OperationKind[]
}

/** What a race did and what it left behind. */
export interface RaceResult {
  tally: Tally
  /** Orphans after every worker has finished. */
  orphans: number
  /** The most orphans any poll saw while workers ran. */
  orphansSeenDuringRun: number
  ms: number
}

const MAX_CHILDREN_PER_INSERT = 3
const POLL_INTERVAL_MS = 50
/** How much longer than `seconds` a run may go on waiting for `untilCommitted`. */
const OVERTIME_FACTOR = 4

type Step = (ops: RaceOperations) => Promise<void>

/**
 * What each role does once. A deleter refills its slot with a fresh parent so the run keeps going; a key
 * updater moves its slot to the new key. Either may aim at a parent that is already gone: that is the race.
 */
function raceSteps(slots: ParentSlots): Record<OperationKind, Step> {
  return {
    insert: (ops) => ops.insertChildren(slots.randomIds(MAX_CHILDREN_PER_INSERT)),
    delete: async (ops) => {
      const slot = slots.pick()
      await ops.deleteParent(slots.idAt(slot))
      const replacement = slots.freshId()
      await ops.insertParent(replacement)
      slots.refill(slot, replacement)
    },
    update: async (ops) => {
      const slot = slots.pick()
      const newId = slots.freshId()
      await ops.updateParentKey(slots.idAt(slot), newId)
      slots.refill(slot, newId)
    },
  }
}

/** Recreates the tables, runs the workers until time, their operation budget or an unexpected error ends them, and counts orphans. */
export async function runRace(options: RaceOptions): Promise<RaceResult> {
  await createRaceTables(options.test, options.parents)
  const slots = new ParentSlots(options.parents)
  const tally = new Tally()
  const started = Date.now()
  const deadline = started + options.seconds * 1000
  const lastDeadline = started + options.seconds * 1000 * OVERTIME_FACTOR
  let unexpected: Error | undefined
  let orphansSeenDuringRun = 0
  let finished = false
  const committed = () => (options.untilCommitted ?? []).every((kind) => tally.counts[kind].ok > 0)
  const timeUp = () => Date.now() >= lastDeadline || (Date.now() >= deadline && committed())
  const stopped = () => unexpected !== undefined || timeUp() || (options.stopAtFirstOrphan === true && orphansSeenDuringRun > 0)
  const steps = raceSteps(slots)
  const fail = (context: string, error: unknown) => {
    unexpected ??= new Error(`unexpected error in ${context}: ${(error as Error).message}`, { cause: error })
  }
  const runWorker = async (kind: OperationKind, ops: RaceOperations) => {
    for (let done = 0; done < options.maxOperationsPerWorker && !stopped(); done++) {
      try {
        await steps[kind](ops)
        tally.add(kind, 'ok')
      } catch (error) {
        const outcome = classifyError(error)
        if (outcome) tally.add(kind, outcome)
        else fail(kind, error)
      }
    }
  }
  const worker = async (kind: OperationKind) => {
    const db = openWorkerConnection(options.test.dialect, options.test.url)
    let ops: RaceOperations
    try {
      ops = await options.operations(db)
    } catch (error) {
      await db.destroy()
      return fail(`${kind} worker setup`, error)
    }
    await runWorker(kind, ops).finally(() => ops.close())
  }
  const poll = async () => {
    while (!stopped() && !finished) {
      orphansSeenDuringRun = Math.max(orphansSeenDuringRun, await countOrphans(options.test.db))
      await sleep(POLL_INTERVAL_MS)
    }
  }

  const polling = poll().catch((error) => fail('orphan poll', error))
  const kinds: OperationKind[] = [
    ...Array<OperationKind>(options.workers.inserters).fill('insert'),
    ...Array<OperationKind>(options.workers.deleters).fill('delete'),
    ...Array<OperationKind>(options.workers.keyUpdaters).fill('update'),
  ]
  const results = await Promise.allSettled(kinds.map(worker))
  finished = true
  await polling
  for (const result of results) if (result.status === 'rejected') fail('worker', result.reason)
  if (unexpected) throw unexpected
  return { tally, orphans: await countOrphans(options.test.db), orphansSeenDuringRun, ms: Date.now() - started }
}
