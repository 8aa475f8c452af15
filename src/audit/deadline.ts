/** The time a check may still take (`--max-time`), shared by every statement of the run. */
export class Deadline {
  private readonly endsAt: number | undefined

  constructor(maxMs?: number) {
    this.endsAt = maxMs === undefined ? undefined : performance.now() + maxMs
  }

  /** Milliseconds left, or undefined when there is no limit. */
  remaining(): number | undefined {
    return this.endsAt === undefined ? undefined : Math.max(0, this.endsAt - performance.now())
  }

  /** Whether the time is up. */
  expired(): boolean {
    return this.remaining() === 0
  }

  /** The time one statement may take: the smaller of `perStatementMs` and what is left. */
  statementLimit(perStatementMs?: number): number | undefined {
    const left = this.remaining()
    if (left === undefined) return perStatementMs
    return perStatementMs === undefined ? left : Math.min(left, perStatementMs)
  }
}
