/**
 * The parent ids workers aim at: a fixed number of slots, each holding a parent id believed to exist.
 * A delete or key update refills its slot with a fresh id; the belief may be stale, which is the point.
 */
export class ParentSlots {
  private readonly ids: number[]
  private nextId: number

  constructor(count: number) {
    this.ids = Array.from({ length: count }, (_, index) => index + 1)
    this.nextId = count + 1
  }

  /** A random slot index. */
  pick(): number {
    return Math.floor(Math.random() * this.ids.length)
  }

  /** The parent id a slot holds now. */
  idAt(slot: number): number {
    return this.ids[slot]!
  }

  /** Between one and `max` ids of random slots (repeats allowed). */
  randomIds(max: number): number[] {
    const count = 1 + Math.floor(Math.random() * max)
    return Array.from({ length: count }, () => this.idAt(this.pick()))
  }

  /** An id no parent has had in this run. */
  freshId(): number {
    this.nextId += 1
    return this.nextId - 1
  }

  /** Points a slot at another parent id. */
  refill(slot: number, id: number): void {
    this.ids[slot] = id
  }
}
