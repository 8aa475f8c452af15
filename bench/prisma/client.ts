import { pathToFileURL } from 'node:url'
import type { Engine } from '../support/databases.js'

/**
 * The part of a generated model delegate the comparison calls. The generated client's own types cannot be
 * imported here: it does not exist until `prisma generate` has run, and the root typechecks without it.
 */
export interface ModelDelegate {
  create(args: { data: Record<string, unknown> }): Promise<unknown>
  createMany(args: { data: Record<string, unknown>[] }): Promise<{ count: number }>
  update(args: { where: { id: number }; data: Record<string, unknown> }): Promise<unknown>
  delete(args: { where: { id: number } }): Promise<unknown>
}

interface PrismaClientBase {
  $on(event: 'query', listener: (event: { query: string }) => void): void
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>
  $disconnect(): Promise<void>
}

/** The client generated from `comparisonSchema`. */
export interface ComparisonClient extends PrismaClientBase {
  parent: ModelDelegate
  child: ModelDelegate
  root: ModelDelegate
}

/** A client generated from `actionSchema`. */
export interface ActionClient extends PrismaClientBase {
  actionParent: ModelDelegate
}

/** A Prisma Client whose statements are counted. */
export interface CountedPrisma<C> {
  prisma: C
  /** SQL statements sent since creation or the last `reset()`, BEGIN and COMMIT included. */
  statements(): number
  /** The SQL of Prisma's query events since creation or the last `reset()` (BEGIN has none). */
  queries(): string[]
  reset(): void
  close(): Promise<void>
}

type AdapterClass = new (config: object) => object

/** The driver adapter package and class of each engine; imported by name so that the root typechecks without them. */
const ADAPTERS: Partial<Record<Engine, { specifier: string; className: string }>> = {
  postgres: { specifier: '@prisma/adapter-pg', className: 'PrismaPg' },
  mariadb: { specifier: '@prisma/adapter-mariadb', className: 'PrismaMariaDb' },
}

function adapterConfig(engine: Engine, url: string): object {
  if (engine === 'postgres') return { connectionString: url }
  const parsed = new URL(url)
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    database: parsed.pathname.slice(1),
  }
}

/**
 * COMMIT or ROLLBACK when a query event ends a transaction: @prisma/adapter-pg reports the statement itself,
 * @prisma/adapter-mariadb `-- Implicit "COMMIT" query via underlying driver`.
 */
export function transactionEnd(query: string): 'COMMIT' | 'ROLLBACK' | undefined {
  const match = /^\s*(?:--\s*implicit\s+"?)?(commit|rollback)\b/i.exec(query)
  return match ? (match[1]?.toUpperCase() as 'COMMIT' | 'ROLLBACK') : undefined
}

/**
 * Opens the client generated at `entry` on `url` through the engine's driver adapter (its default pool of
 * 10 connections), counting statements with Prisma's query events. The adapters send BEGIN without an
 * event, so each COMMIT or ROLLBACK event counts for two statements.
 */
export async function openPrisma<C extends PrismaClientBase>(entry: string, engine: Engine, url: string): Promise<CountedPrisma<C>> {
  const adapter = ADAPTERS[engine]
  if (!adapter) throw new Error(`bench/prisma: no Prisma driver adapter for ${engine}; the comparison runs on postgres and mariadb`)
  const { PrismaClient } = (await import(pathToFileURL(entry).href)) as { PrismaClient: new (options: object) => C }
  const Adapter = ((await import(adapter.specifier)) as Record<string, AdapterClass>)[adapter.className] as AdapterClass
  const prisma = new PrismaClient({ adapter: new Adapter(adapterConfig(engine, url)), log: [{ emit: 'event', level: 'query' }] })
  let queries: string[] = []
  prisma.$on('query', (event) => queries.push(event.query))
  return {
    prisma,
    statements: () => queries.reduce((sum, query) => sum + (transactionEnd(query) ? 2 : 1), 0),
    queries: () => [...queries],
    reset: () => {
      queries = []
    },
    close: () => prisma.$disconnect(),
  }
}
