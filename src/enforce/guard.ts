import { type DatabaseIntrospector, type Dialect, Kysely, MysqlAdapter, PGliteAdapter, PostgresAdapter } from 'kysely'
import { type CheckOptions, type CheckReport, runCheck } from '../audit/check.js'
import { ConfigError } from '../config/errors.js'
import { type ResolvedConfig, resolveConfig, softDeleteTable } from '../config/normalize.js'
import type { RefguardConfig, RelationDefaults, RelationInput, SoftDeleteInput } from '../config/types.js'
import type { Database } from '../db/connect.js'
import { DatabaseSet } from '../db/database-set.js'
import { mysqlDialect } from '../db/mysql.js'
import { pgliteDialect } from '../db/pglite.js'
import { postgresDialect } from '../db/postgres.js'
import { findColumn, findTable, type SchemaInfo } from '../db/schema-info.js'
import { RelationGraph } from '../model/graph.js'
import type { Relation, TableRef } from '../model/relation.js'
import { schemasByDatabase, withSchemas } from '../model/resolve-schemas.js'
import { validateRelation } from '../model/validate.js'
import { assertJobTables } from '../queue/tables.js'
import { type RepairOptions, type RepairReport, runRepair } from '../repair/repair.js'
import { type SweepOptions, type SweepReport, sweep } from '../sweep/sweep.js'
import { BoundDriver } from './bound-driver.js'
import type { EnforcementContext, SoftDeleteColumn } from './context.js'
import { crosscheckRemovedKeys } from './crosscheck.js'
import { EnforcingDriver } from './enforcing-driver.js'
import { type RemoteParents, remoteParentsFor } from './remote-parent.js'
import type { TransactionState } from './runner.js'
import { ownTransactions, registerEngine } from './own-transaction.js'
import { isQueueable } from './queued-actions.js'
import { SchemaFacts } from './schema-facts.js'

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

/** Relations that cannot be enforced in this version, or against this schema, stop createGuard with every reason. */
function assertEnforceable(config: ResolvedConfig, relations: Relation[], schema: SchemaInfo, family: 'postgres' | 'mysql'): void {
  const problems: string[] = softDeleteProblems(config, schema)
  for (const relation of relations) {
    if (relation.child.database !== relation.parent.database) {
      // remoteParentsFor checks the parent side in its own database.
      if (relation.mode !== 'inline') {
        problems.push(
          `relation "${relation.name}": its parent is in another database ("${relation.parent.database}"), and mode "${relation.mode}" across databases is not available yet; use mode "inline" (child writes are checked against the parent database)`,
        )
      }
      continue
    }
    if (relation.mode === 'queued') problems.push(...queuedProblems(relation, schema, family))
    if (relation.mode === 'scheduled') problems.push(...batchedChildProblems(relation, schema, family))
    for (const finding of validateRelation(relation, schema, schema)) {
      if (finding.severity === 'error') problems.push(`${finding.message} (fix: ${finding.fix})`)
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`cannot enforce ${problems.length === 1 ? 'a relation' : 'these relations'}:\n  ${problems.join('\n  ')}`, {
      ...(config.file ? { file: config.file } : {}),
      fix: 'correct the relations (or the schema) and create the guard again',
    })
  }
}

/**
 * Why a queued relation cannot work: queued mode applies CASCADE, SET NULL and SET DEFAULT later, in a worker;
 * RESTRICT and NO ACTION are checks, which cannot wait (a relation's other action may be one: it is checked inline).
 */
function queuedProblems(relation: Relation, schema: SchemaInfo, family: 'postgres' | 'mysql'): string[] {
  if (!isQueueable(relation.onDelete) && !isQueueable(relation.onUpdate)) {
    return [
      `relation "${relation.name}": mode "queued" needs ON DELETE or ON UPDATE CASCADE, SET NULL or SET DEFAULT, but it has ON DELETE ${relation.onDelete.toUpperCase()} and ON UPDATE ${relation.onUpdate.toUpperCase()}, which are checks and cannot wait for a worker; make it inline, or give it an action to queue`,
    ]
  }
  return batchedChildProblems(relation, schema, family)
}

/** Workers and the sweeper act on children in batches by primary key (PostgreSQL can use ctid instead). */
function batchedChildProblems(relation: Relation, schema: SchemaInfo, family: 'postgres' | 'mysql'): string[] {
  const child = findTable(schema, relation.child)
  if (family === 'mysql' && child && child.primaryKey.length === 0) {
    return [
      `relation "${relation.name}": mode "${relation.mode}" works through ${relation.child.table} in batches by primary key, and it has none; add a primary key or make the relation inline`,
    ]
  }
  return []
}

/** Soft-delete columns that do not exist or cannot mark a row: a nullable timestamp (NULL = present) or a boolean flag. */
function softDeleteProblems(config: ResolvedConfig, schema: SchemaInfo): string[] {
  return Object.entries(config.softDelete).flatMap(([name, { column }]) => {
    const table = findTable(schema, softDeleteTable(name))
    if (!table) return [`softDelete.${name}: table "${name}" does not exist; use the name of a table that is a relation's parent`]
    const info = findColumn(table, column)
    if (!info) {
      return [
        `softDelete.${name}: column "${column}" does not exist in ${name}; add it (e.g. ${column} timestamp null) or name an existing column`,
      ]
    }
    if (!isFlag(info.type) && !info.nullable) {
      return [
        `softDelete.${name}: column "${column}" is NOT NULL, so it cannot hold NULL for rows that are not deleted; make it nullable, or use a boolean flag`,
      ]
    }
    return []
  })
}

function isFlag(type: string): boolean {
  return type === 'boolean' || type === 'tinyint(1)'
}

function softDeleteLookup(config: ResolvedConfig, schema: SchemaInfo): (table: TableRef) => SoftDeleteColumn | undefined {
  const entries = Object.entries(config.softDelete).map(([name, { column, keepParent }]) => {
    const ref = softDeleteTable(name)
    const info = findTable(schema, ref)
    const type = info ? findColumn(info, column)?.type : undefined
    return { schema: ref.schema ?? schema.defaultSchema, table: ref.table, column, flag: type !== undefined && isFlag(type), keepParent }
  })
  return (table) => {
    const entry = entries.find(
      (candidate) => candidate.table === table.table && candidate.schema === (table.schema ?? schema.defaultSchema),
    )
    return entry ? { column: entry.column, flag: entry.flag, keepParent: entry.keepParent } : undefined
  }
}

function introspectorOf(db: Kysely<any>): DatabaseIntrospector {
  return db.introspection
}

/** Creates a guard from a config (databases + relations), or from `{ db: kysely, relations }`. */
export async function createGuard(input: RefguardConfig | ResolvedConfig | GuardOptions): Promise<Guard> {
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
  const databases = new DatabaseSet(config, provided ? { main: provided } : {})
  try {
    const database = await databases.get(config.defaultDatabase)
    const schema = await database.introspect(schemasByDatabase(config.relations).get(config.defaultDatabase) ?? [])
    const relations = config.relations.map((relation) => withSchemas(relation, new Map([[config.defaultDatabase, schema]])))
    assertEnforceable(config, relations, schema, database.dialect.family)
    if (relations.some((relation) => relation.mode === 'queued')) await assertJobTables(database.db)
    const crosscheckDb = 'db' in input ? (input.crosscheckDb ?? input.db) : await sideConnection(config, databases)
    const remoteParents = await remoteParentsFor(relations, schema, databases, config.file)
    return buildGuard(config, databases, database, schema, relations, { crosscheckDb, remoteParents })
  } catch (error) {
    await databases.close()
    throw error
  }
}

/** A guard built from a URL gets a pool of its own for the crosscheck, so it can never wait on the caller's pool. */
async function sideConnection(config: ResolvedConfig, databases: DatabaseSet): Promise<Kysely<any>> {
  const main = await databases.get(config.defaultDatabase)
  if (main.dialect.name !== 'postgres') return main.db
  const side = new DatabaseSet({
    databases: { side: config.databases[config.defaultDatabase] as { url: string } },
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
  const softDelete = softDeleteLookup(config, schema)
  const guardedTables = new Set(relations.flatMap((relation) => [relation.child.table, relation.parent.table]))
  const context = (runner: EnforcementContext['runner']): EnforcementContext => ({
    runner,
    graph,
    facts,
    softDelete,
    tableRef: (target) => ({ database: config.defaultDatabase, schema: target.schema ?? schema.defaultSchema, table: target.table }),
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
