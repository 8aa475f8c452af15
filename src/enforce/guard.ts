import { type DatabaseIntrospector, type Dialect, Kysely, MysqlAdapter, PGliteAdapter, PostgresAdapter } from 'kysely'
import { type CheckOptions, type CheckReport, runCheck } from '../audit/check.js'
import { ConfigError } from '../config/errors.js'
import { type ResolvedConfig, resolveConfig } from '../config/normalize.js'
import type { RefguardConfig, RelationDefaults, RelationInput, SoftDeleteInput } from '../config/types.js'
import type { Database } from '../db/connect.js'
import { DatabaseSet } from '../db/database-set.js'
import { mysqlDialect } from '../db/mysql.js'
import { pgliteDialect } from '../db/pglite.js'
import { postgresDialect } from '../db/postgres.js'
import type { SchemaInfo } from '../db/schema-info.js'
import { RelationGraph } from '../model/graph.js'
import type { Relation } from '../model/relation.js'
import { schemasByDatabase, withSchemas } from '../model/resolve-schemas.js'
import { didYouMean } from '../util/suggest.js'
import { assertJobTables } from '../queue/tables.js'
import { type RepairOptions, type RepairReport, runRepair } from '../repair/repair.js'
import { type SweepOptions, type SweepReport, sweep } from '../sweep/sweep.js'
import { BoundDriver } from './bound-driver.js'
import type { EnforcementContext } from './context.js'
import { crosscheckRemovedKeys } from './crosscheck.js'
import { assertEnforceable } from './enforceable.js'
import { EnforcingDriver } from './enforcing-driver.js'
import { type RemoteParents, remoteParentsFor } from './remote-parent.js'
import type { TransactionState } from './runner.js'
import { ownTransactions, registerEngine } from './own-transaction.js'
import { SchemaFacts } from './schema-facts.js'
import { softDeleteLookup, softDeleteOf } from './soft-delete-columns.js'

/** Relations over a Kysely instance you already have. */
export interface GuardOptions {
  db: Kysely<any>
  relations: Array<string | RelationInput>
  /**
   * PostgreSQL REPEATABLE READ / SERIALIZABLE only: where the crosscheck reads committed children.
   * Defaults to `db`, which then needs a free connection beside the transaction's own.
   */
  crosscheckDb?: Kysely<any>
  defaults?: RelationDefaults
  softDelete?: Record<string, SoftDeleteInput>
}

/** refguard's enforcement over one database. */
export interface Guard {
  /** A Kysely whose inserts, updates and deletes are enforced like real foreign keys, in and out of transactions. */
  readonly db: Kysely<any>
  /** The same database without enforcement: the escape hatch for writes refguard cannot enforce. */
  readonly unguarded: Kysely<any>
  /** The relations, with schemas resolved. */
  readonly relations: readonly Relation[]
  /** The same report as `refguard check --json`. */
  check(options?: CheckOptions): Promise<CheckReport>
  /** The same report as `refguard repair --json`: a dry run unless `apply`. */
  repair(options?: RepairOptions): Promise<RepairReport>
  /** Scheduled mode's sweeper, once: acts on the children of soft-deleted parents, then deletes the parents (see `refguard sweep`). */
  sweep(options?: SweepOptions): Promise<SweepReport>
  /** Closes what the guard opened (a Kysely you passed in stays open). */
  close(): Promise<void>
}

function providedDatabase(db: Kysely<any>): Database {
  const adapter = db.getExecutor().adapter
  const dialect =
    adapter instanceof PGliteAdapter
      ? pgliteDialect
      : adapter instanceof PostgresAdapter
        ? postgresDialect
        : adapter instanceof MysqlAdapter
          ? mysqlDialect
          : undefined
  if (!dialect)
    throw new ConfigError('createGuard supports Kysely instances for PostgreSQL, MySQL/MariaDB and PGlite', {
      fix: 'use PostgresDialect, MysqlDialect or PGliteDialect',
    })
  return {
    name: 'main',
    dialect,
    location: { dialect: dialect.name, redacted: '(your Kysely instance)' },
    db,
    introspect: (schemas) => dialect.introspect(db, schemas),
    close: async () => {},
  }
}

/** Options of `createGuard` beyond the config. */
export interface CreateGuardOptions {
  /**
   * The configured database `guard.db` writes to (default: the config's default database). A guard on the parent
   * database of a cross-database queued relation writes the jobs of its parent deletes and key changes there.
   */
  database?: string
}

function introspectorOf(db: Kysely<any>): DatabaseIntrospector {
  return db.introspection
}

/** Creates a guard from a config (databases + relations), or from `{ db: kysely, relations }`. */
export async function createGuard(input: RefguardConfig | ResolvedConfig | GuardOptions, options: CreateGuardOptions = {}): Promise<Guard> {
  const provided = 'db' in input ? providedDatabase(input.db) : undefined
  const config: ResolvedConfig =
    'db' in input
      ? resolveConfig({
          databases: { main: 'provided://kysely' },
          relations: input.relations,
          defaults: input.defaults,
          softDelete: input.softDelete,
        })
      : 'baseDir' in input
        ? (input as ResolvedConfig)
        : resolveConfig(input)
  const home = options.database ?? config.defaultDatabase
  if (!(home in config.databases)) {
    const names = Object.keys(config.databases)
    throw new ConfigError(`createGuard: there is no database "${home}" in the config${didYouMean(home, names)}`, {
      ...(config.file ? { file: config.file } : {}),
      fix: `name one of the configured databases: ${names.join(', ')}`,
    })
  }
  const databases = new DatabaseSet(config, provided ? { main: provided } : {})
  try {
    const crosscheckDb = 'db' in input ? (input.crosscheckDb ?? input.db) : undefined
    return await openGuard(config, databases, home, crosscheckDb)
  } catch (error) {
    await databases.close()
    throw error
  }
}

/** The guard on `home` of a config whose databases are open in `databases` (closed with the guard). */
async function openGuard(
  config: ResolvedConfig,
  databases: DatabaseSet,
  home: string,
  crosscheck: Kysely<any> | undefined,
): Promise<Guard> {
  const database = await databases.get(home)
  const schema = await database.introspect(schemasByDatabase(config.relations).get(home) ?? [])
  const relations = config.relations.map((relation) => withSchemas(relation, new Map([[home, schema]])))
  assertEnforceable(config, relations, schema, database.dialect.family, home)
  // Jobs go to the outbox of the database a queued relation's parent is in.
  if (relations.some((relation) => relation.mode === 'queued' && relation.parent.database === home)) await assertJobTables(database.db)
  const crosscheckDb = crosscheck ?? (await sideConnection(config, databases, home))
  const childrenHere = relations.filter((relation) => relation.child.database === home)
  const remoteParents = await remoteParentsFor(childrenHere, schema, databases, config.file)
  const guard = buildGuard(config, databases, database, schema, relations, { crosscheckDb, remoteParents })
  origins.set(guard, { config, databases })
  return guard
}

/** What a guard was made from, for `guardOnDatabase`. */
const origins = new WeakMap<Guard, { config: ResolvedConfig; databases: DatabaseSet }>()

/** Databases borrowed from another set: opened there and left open here, so closing this set closes only its own extras. */
class BorrowedDatabases extends DatabaseSet {
  constructor(
    private readonly owner: DatabaseSet,
    config: ResolvedConfig,
  ) {
    super(config)
  }

  override get(name: string): Promise<Database> {
    return this.owner.get(name)
  }
}

/**
 * A guard on another database of the same config, over the same connections (a worker acts in the child database
 * of a cross-database job with it). Closing it leaves those connections to `guard`.
 */
export async function guardOnDatabase(guard: Guard, database: string): Promise<Guard> {
  const origin = origins.get(guard)
  if (!origin) throw new TypeError('not a guard made by createGuard()')
  const borrowed = new BorrowedDatabases(origin.databases, origin.config)
  try {
    return await openGuard(origin.config, borrowed, database, undefined)
  } catch (error) {
    await borrowed.close()
    throw error
  }
}

/** A guard built from a URL gets a pool of its own for the crosscheck, so it can never wait on the caller's pool. */
async function sideConnection(config: ResolvedConfig, databases: DatabaseSet, home: string): Promise<Kysely<any>> {
  const main = await databases.get(home)
  if (main.dialect.name !== 'postgres') return main.db
  const side = new DatabaseSet({
    databases: { side: config.databases[home] as { url: string } },
    baseDir: config.baseDir,
  })
  databases.onClose(() => side.close())
  return (await side.get('side')).db
}

function buildGuard(
  config: ResolvedConfig,
  databases: DatabaseSet,
  database: Database,
  schema: SchemaInfo,
  relations: Relation[],
  links: { crosscheckDb: Kysely<any>; remoteParents: RemoteParents | undefined },
): Guard {
  const { crosscheckDb, remoteParents } = links
  const inner = database.db
  const executor = inner.getExecutor()
  const graph = new RelationGraph(relations)
  const facts = new SchemaFacts(schema, relations)
  const softDelete = softDeleteLookup(softDeleteOf(config, database.name), schema)
  const guardedTables = new Set(relations.flatMap((relation) => [relation.child.table, relation.parent.table]))
  const context = (runner: EnforcementContext['runner']): EnforcementContext => ({
    runner,
    graph,
    facts,
    softDelete,
    tableRef: (target) => ({ database: database.name, schema: target.schema ?? schema.defaultSchema, table: target.table }),
    crosscheck: (relation, keys) => crosscheckRemovedKeys(runner, crosscheckDb, relation, keys),
    ...(remoteParents ? { remoteParents } : {}),
  })
  const endTransaction = remoteParents ? (transaction: TransactionState) => remoteParents.finish(transaction) : undefined
  const driver = new EnforcingDriver(new BoundDriver(inner, database.dialect.family), {
    compile: (node, queryId) => executor.compileQuery(node, queryId),
    engine: database.dialect.name,
    guardedTables,
    context,
    ...(endTransaction ? { endTransaction } : {}),
  })
  const dialect: Dialect = {
    createAdapter: () => executor.adapter,
    createDriver: () => driver,
    createIntrospector: () => introspectorOf(inner),
    createQueryCompiler: () => ({ compileQuery: (node, queryId) => executor.compileQuery(node, queryId) }),
  }
  const db = new Kysely<any>({ dialect })
  const guard: Guard = {
    db,
    unguarded: inner,
    relations,
    check: (options) => runCheck(config, databases, options),
    repair: (options) => runRepair(config, databases, options),
    sweep: (options) => sweep(guard, options),
    close: async () => {
      await db.destroy()
      await databases.close()
    },
  }
  registerEngine(
    guard,
    ownTransactions(
      inner,
      {
        compile: (node, queryId) => executor.compileQuery(node, queryId),
        engine: database.dialect.name,
        ...(endTransaction ? { endTransaction } : {}),
      },
      context,
    ),
  )
  return guard
}
