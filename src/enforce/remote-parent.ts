import { type Kysely, sql } from 'kysely'
import { relationJoin } from '../crossdb/check-relation.js'
import { isCrossDatabase, keyPlanFor } from '../crossdb/key-plan.js'
import { readingParent } from '../crossdb/parent-errors.js'
import { parentProbe } from '../crossdb/parent-keys.js'
import { type CrossJoin, pageOf } from '../crossdb/sides.js'
import type { DatabaseSet } from '../db/database-set.js'
import { findTable, type SchemaInfo, type TableInfo } from '../db/schema-info.js'
import { ConfigError } from '../config/errors.js'
import type { Relation } from '../model/relation.js'
import type { ViolatingAction } from './errors.js'
import type { KeyTuple } from './keys.js'
import { missingParentError } from './messages.js'
import type { TransactionState } from './runner.js'

/** A transaction on a parent database, held open for one child transaction: the share locks it took last until `end`. */
interface LockSession {
  db: Kysely<any>
  end(): Promise<void>
}

/** Opens a READ COMMITTED transaction on its own connection of `db` (each check reads the latest committed parents). */
function openSession(join: CrossJoin): Promise<LockSession> {
  const { db, family } = join.parent
  const begin =
    family === 'mysql' ? ['set transaction isolation level read committed', 'start transaction'] : ['begin isolation level read committed']
  return readingParent(
    join,
    () =>
      new Promise<LockSession>((resolve, reject) => {
        let release: () => void = () => {}
        const released = new Promise<void>((done) => {
          release = done
        })
        db.connection()
          .execute(async (connection) => {
            for (const statement of begin) await sql.raw(statement).execute(connection)
            let ended = false
            resolve({
              db: connection,
              async end() {
                if (ended) return
                ended = true
                // The transaction only read and locked: committing it releases the locks, and so would a rollback.
                await sql.raw('commit').execute(connection).finally(release)
              },
            })
            await released
          })
          .catch(reject)
      }),
  )
}

/**
 * Parent checks of child writes whose parent table is in another database. Inside a child transaction the
 * parents are read and share-locked (FOR KEY SHARE / LOCK IN SHARE MODE) in a transaction on the parent
 * database that stays open until the child transaction ends (`finish`): no parent can be deleted or re-keyed
 * in between, as with a real foreign key. PGlite runs one connection per database, which a held transaction
 * would block for every other user: a PGlite parent is read without a lock, and what a concurrent parent
 * delete leaves behind is for `refguard check` to find and `refguard repair` to fix (see the README).
 */
export class RemoteParents {
  private readonly sessions = new Map<TransactionState, Map<string, Promise<LockSession>>>()

  constructor(private readonly joins: Map<string, CrossJoin>) {}

  /** The join of a relation whose child table is in this guard's database (how its keys compare, both databases). */
  joinOf(relation: string): CrossJoin | undefined {
    return this.joins.get(relation)
  }

  /** Throws the database's own foreign-key error (23503) for the first key no parent row holds. */
  async check(transaction: TransactionState | undefined, relation: Relation, keys: KeyTuple[], action: ViolatingAction): Promise<void> {
    const join = this.joins.get(relation.name) as CrossJoin
    const { codecs } = join.plan
    const groups = keys.map((key) => ({ raw: key, key: codecs.map((codec, i) => codec.normalize(key[i])), rows: 1 }))
    const session = transaction?.active ? await this.session(transaction, join) : undefined
    const lookup = parentProbe(join, session ? { db: session.db, lock: true } : undefined)
    const present = await lookup.present(pageOf(groups, codecs.length))
    const missing = present.findIndex((found) => !found)
    if (missing >= 0) throw missingParentError(relation, keys[missing] as KeyTuple, action)
  }

  /** Ends the parent transactions (releasing their locks) of a child transaction that committed or rolled back. */
  async finish(transaction: TransactionState): Promise<void> {
    const open = this.sessions.get(transaction)
    if (!open) return
    this.sessions.delete(transaction)
    await Promise.allSettled([...open.values()].map(async (session) => (await session).end()))
  }

  /** The open parent transaction of a child transaction on the relation's parent database, opened on first use. */
  private session(transaction: TransactionState, join: CrossJoin): Promise<LockSession> | undefined {
    if (join.parent.location.dialect === 'pglite') return undefined
    const open = this.sessions.get(transaction) ?? new Map<string, Promise<LockSession>>()
    this.sessions.set(transaction, open)
    let session = open.get(join.parent.name)
    if (!session) {
      session = openSession(join)
      open.set(join.parent.name, session)
      // A parent database that cannot be reached is reported by this check; the next one tries again.
      session.catch(() => open.delete(join.parent.name))
    }
    return session
  }
}

/**
 * The remote parent checks of a guard whose relations include some with a parent in another database (undefined
 * when none has): opens and introspects those databases, and refuses keys refguard cannot compare across engines.
 */
export async function remoteParentsFor(
  relations: readonly Relation[],
  childSchema: SchemaInfo,
  databases: DatabaseSet,
  file?: string,
): Promise<RemoteParents | undefined> {
  const crossing = relations.filter(isCrossDatabase)
  if (crossing.length === 0) return undefined
  const joins = new Map<string, CrossJoin>()
  const schemas = new Map<string, SchemaInfo>()
  for (const relation of crossing) {
    const child = await databases.get(relation.child.database)
    const parent = await databases.get(relation.parent.database)
    let parentSchema = schemas.get(parent.name)
    if (!parentSchema) {
      parentSchema = await parent.introspect(relation.parent.schema ? [relation.parent.schema] : [])
      schemas.set(parent.name, parentSchema)
    }
    const tables = { child: findTable(childSchema, relation.child) as TableInfo, parent: findTable(parentSchema, relation.parent) }
    if (!tables.parent) {
      throw new ConfigError(
        `relation "${relation.name}": parent table "${relation.parent.table}" does not exist in database "${parent.name}"`,
        {
          ...(file ? { file } : {}),
          fix: `correct the parent table of relation "${relation.name}", or create the table`,
        },
      )
    }
    const plan = keyPlanFor(relation, tables.child, tables.parent, { child: child.dialect.family, parent: parent.dialect.family })
    if ('problem' in plan)
      throw new ConfigError(`relation "${relation.name}": ${plan.problem}`, { ...(file ? { file } : {}), fix: plan.fix })
    joins.set(relation.name, relationJoin({ relation, child: tables.child, parent: tables.parent }, { child, parent }, plan))
  }
  return new RemoteParents(joins)
}
