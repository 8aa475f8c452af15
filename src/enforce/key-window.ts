/**
 * Which of a job's parent keys its next batch looks for children of. A batch that asks for the children of all
 * the job's keys at once makes the database gather every remaining child (and step over every one deleted by the
 * batches before) only to act on the first `limit`: with 1,000 keys of 100 children each, 100,000 index entries
 * read for every batch of 1,000 rows. The window moves along the keys instead, sized from what the last batch
 * found so that a batch finds about `limit` children: the keys behind it have none left, the keys ahead are not
 * looked at yet. It is only a hint: the last batch of a job still looks at all its keys before calling it done.
 */
export class KeyWindow {
  /** The first key of the window. */
  private from = 0
  /** How many keys the window covers; it starts at one key and grows or shrinks with what batches find. */
  private width = 1

  constructor(private readonly total: number) {}

  /** The window's positions in the job's keys: [start, end). */
  bounds(): [number, number] {
    return [this.from, Math.min(this.total, this.from + this.width)]
  }

  /** Whether the window has passed the last key. */
  passedEnd(): boolean {
    return this.from >= this.total
  }

  /** Where the window is: its first key and its width (for a run of batches on the server, see leaf-run.ts). */
  position(): { from: number; width: number } {
    return { from: this.from, width: this.width }
  }

  /** Puts the window where a run of batches on the server left it. */
  moveTo(from: number, width: number): void {
    this.from = from
    this.width = width
  }

  /** Back to the first key, for children found after the window had passed theirs. */
  rewind(): void {
    this.from = 0
  }

  /**
   * After a batch found `found` children in the window (a batch looks for at most `limit` + 1). When they all fitted
   * in the batch, the window moves past its keys and takes as many keys as would have found about `limit`; when they
   * did not, it stays and halves, so that a window that was far too wide (the keys' children are uneven) is soon right.
   * leaf-run.ts does the same in PL/pgSQL.
   */
  advance(found: number, limit: number): void {
    if (found > limit) {
      this.width = Math.max(1, Math.floor(this.width / 2))
      return
    }
    this.from += this.width
    const wanted = Math.floor((this.width * limit) / Math.max(found, 1))
    this.width = Math.max(1, Math.min(wanted, this.total - this.from))
  }
}
