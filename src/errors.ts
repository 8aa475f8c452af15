/** A request the user can correct: an unknown relation name, a bad option value. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message)
    this.name = 'UsageError'
  }
}
