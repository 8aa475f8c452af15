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
import { findColumn, findTable, type SchemaInfo } from '../db/schema-info.js'
import { RelationGraph } from '../model/graph.js'
import type { Relation, TableRef } from '../model/relation.js'
import { schemasByDatabase, withSchemas } from '../model/resolve-schemas.js'
import { validateRelation } from '../model/validate.js'
import { type RepairOptions, type RepairReport, runRepair } from '../repair/repair.js'
import { BoundDriver } from './bound-driver.js'
import type { EnforcementContext, SoftDeleteColumn } from './context.js'
import { crosscheckRemovedKeys } from './crosscheck.js'
import { EnforcingDriver } from './enforcing-driver.js'
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
function assertEnforceable(relations: Relation[], schema: SchemaInfo, file: string | undefined): void {
  const problems: string[] = []
  for (const relation of relations) {
    if (relation.child.database !== relation.parent.database) {
      problems.push(
        `relation "${relation.name}": its parent is in another database ("${relation.parent.database}"); cross-database enforcement is not available yet`,
      )
    }
    if (relation.mode !== 'inline') {
      problems.push(`relation "${relation.name}": mode "${relation.mode}" is not available yet; use mode "inline"`)
    }
    for (const finding of validateRelation(relation, schema, schema)) {
      if (finding.severity === 'error') problems.push(`${finding.message} (fix: ${finding.fix})`)
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`cannot enforce ${problems.length === 1 ? 'a relation' : 'these relations'}:\n  ${problems.join('\n  ')}`, {
      ...(file ? { file } : {}),
      fix: 'correct the relations (or the schema) and create the guard again',
    })
  }
}

function softDeleteLookup(config: ResolvedConfig, schema: SchemaInfo): (table: TableRef) => SoftDeleteColumn | undefined {
  const entries = Object.entries(config.softDelete).map(([name, { column }]) => {
    const [first, second] = name.split('.')
    const ref = second ? { schema: first, table: second } : { table: first as string }
    const info = findTable(schema, ref)
    const type = info ? findColumn(info, column)?.type : undefined
    return { schema: ref.schema ?? schema.defaultSchema, table: ref.table, column, flag: type === 'boolean' || type === 'tinyint(1)' }
  })
  return (table) => {
    const entry = entries.find(
      (candidate) => candidate.table === table.table && candidate.schema === (table.schema ?? schema.defaultSchema),
    )
    return entry ? { column: entry.column, flag: entry.flag } : undefined
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
    assertEnforceable(relations, schema, config.file)
    const crosscheckDb = 'db' in input ? (input.crosscheckDb ?? input.db) : await sideConnection(config, databases)
    return buildGuard(config, databases, database, schema, relations, crosscheckDb)
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
  crosscheckDb: Kysely<any>,
): Guard {
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
  })
  const driver = new EnforcingDriver(new BoundDriver(inner, database.dialect.family), {
    compile: (node, queryId) => executor.compileQuery(node, queryId),
    engine: database.dialect.name,
    guardedTables,
    context,
  })
  const dialect: Dialect = {
    createAdapter: () => executor.adapter,
    createDriver: () => driver,
    createIntrospector: () => introspectorOf(inner),
    createQueryCompiler: () => ({ compileQuery: (node, queryId) => executor.compileQuery(node, queryId) }),
  }
  const db = new Kysely<any>({ dialect })
  return {
    db,
    unguarded: inner,
    relations,
    check: (options) => runCheck(config, databases, options),
    repair: (options) => runRepair(config, databases, options),
    close: async () => {
      await db.destroy()
      await databases.close()
    },
  }
}
