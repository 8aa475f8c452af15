/** How one operation ended: committed, or one of the failures a correct concurrent system may produce. */
export type Outcome = 'ok' | 'violation' | 'serialization' | 'deadlock' | 'lock timeout'

/** Names an expected failure, or returns undefined for an error the run must not tolerate. */
export function classifyError(error: unknown): Exclude<Outcome, 'ok'> | undefined {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown }
  if (code === '23503') return 'violation'
  if (code === '40001') return 'serialization'
  if (code === '40P01' || errno === 1213) return 'deadlock'
  if (code === '55P03' || errno === 1205) return 'lock timeout'
  return undefined
}

/** The kinds of operation the workers perform. */
export type OperationKind = 'insert' | 'delete' | 'update'

/** Counts per operation kind and outcome. */
export class Tally {
  readonly counts: Record<OperationKind, Record<Outcome, number>> = {
    insert: emptyCounts(),
    delete: emptyCounts(),
    update: emptyCounts(),
  }

  /** Records one finished operation. */
  add(kind: OperationKind, outcome: Outcome): void {
    this.counts[kind][outcome] += 1
  }

  /** All operations of every kind and outcome. */
  get operations(): number {
    return Object.values(this.counts).reduce((sum, byOutcome) => sum + Object.values(byOutcome).reduce((a, b) => a + b, 0), 0)
  }

  /** The counts on one line, e.g. `insert ok=120 violation=4 | delete ok=30 | update none`, zeros left out. */
  describe(): string {
    return Object.entries(this.counts)
      .map(([kind, byOutcome]) => {
        const nonZero = Object.entries(byOutcome).filter(([, count]) => count > 0)
        return `${kind} ${nonZero.map(([outcome, count]) => `${outcome.replace(' ', '_')}=${count}`).join(' ') || 'none'}`
      })
      .join(' | ')
  }
}

function emptyCounts(): Record<Outcome, number> {
  return { ok: 0, violation: 0, serialization: 0, deadlock: 0, 'lock timeout': 0 }
}
