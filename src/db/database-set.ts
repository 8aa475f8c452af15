import type { ResolvedConfig } from '../config/normalize.js'
import { type Database, openDatabase } from './connect.js'

/** The configured databases, each opened on first use and closed together. */
export class DatabaseSet {
  private readonly open = new Map<string, Promise<Database>>()
  private readonly closers: Array<() => Promise<void>> = []

  /** `provided` databases are used as they are and left open by `close()`: their owner closes them. */
  constructor(
    private readonly config: Pick<ResolvedConfig, 'databases' | 'baseDir'>,
    private readonly provided: Record<string, Database> = {},
  ) {}

  /** The open database called `name` in the config. */
  get(name: string): Promise<Database> {
    const given = this.provided[name]
    if (given) return Promise.resolve(given)
    let database = this.open.get(name)
    if (!database) {
      const entry = this.config.databases[name]
      if (!entry) throw new Error(`unknown database "${name}"`)
      database = openDatabase(name, entry.url, this.config.baseDir)
      this.open.set(name, database)
    }
    return database
  }

  /** Registers something else to close together with these databases. */
  onClose(closer: () => Promise<void>): void {
    this.closers.push(closer)
  }

  /** Closes every database opened so far. */
  async close(): Promise<void> {
    await Promise.all(this.closers.splice(0).map((closer) => closer()))
    const opened = await Promise.allSettled(this.open.values())
    this.open.clear()
    await Promise.all(opened.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)))
  }
}
