import type { RelationInput } from '../config/types.js'
import type { Database } from '../db/connect.js'
import type { ColumnInfo, TableInfo } from '../db/schema-info.js'
import type { DialectName } from '../db/url.js'
import { defaultRelationName, type Relation } from '../model/relation.js'
import { type Candidate, childKey, type Evidence, type InferredRelation, logOdds, probability } from './candidate.js'
import { compositeCandidates } from './composite.js'
import { JOINS_PER_STATEMENT, type ReadMode, readCoverage, readParentStats } from './data-coverage.js'
import { nameCandidates } from './generate.js'
import type { NameMiss } from './name-signals.js'
import { ParentCatalog } from './parent-catalog.js'
import { MAX_TYPE_VALUES, polymorphicCandidates, polymorphicPairs, readTypeValues } from './polymorphic.js'
import { estimateAllRows } from './row-estimates.js'
import { competitionEvidence, dataEvidence } from './scoring.js'
import { readTableParents } from '../db/table-parents.js'

/** Options of an inference run. */
export interface InferOptions {
  /** Schemas to look in besides the default one. */
  schemas?: string[]
  /** Candidates at or above this confidence are accepted (default 0.6). */
  minConfidence?: number
  /** Rows a sample reads (default 2,000). */
  sampleRows?: number
  /** Child tables with more rows than this (planner estimate) are sampled before every row is read (default 50,000). */
  exactUpTo?: number
  /** Judge large tables by their sample alone: no full scans. */
  sampleOnly?: boolean
  /** The config's relations: candidates they already cover are marked `configured`, and their names are not reused. */
  configured?: readonly Relation[]
  /** The config's name for this database, written into the relations when it is not the default one. */
  databaseName?: string
  onProgress?: (progress: InferProgress) => void
}

/** Where a run is: which step, and how many of its tables are done out of how many. */
export interface InferProgress {
  phase: 'types' | 'parents' | 'samples' | 'exact'
  done: number
  total: number
  table?: string
}

/** Statements a run sent, by purpose. */
export interface InferQueries {
  /** Catalog reads: introspection is not counted, inheritance and row estimates are. */
  catalog: number
  typeValues: number
  parentStats: number
  samples: number
  exact: number
}

/** What `infer` found. */
export interface InferReport {
  ok: true
  database: string
  dialect: DialectName
  minConfidence: number
  /** Tables and columns looked at (views, inheritance children and refguard's own tables left out). */
  tables: number
  columns: number
  /** Declared foreign keys: not inferred, the database states them. */
  declared: number
  /** Every candidate, most confident first. */
  candidates: InferredRelation[]
  /** Columns named like references that no table fits. */
  unresolved: NameMiss[]
  queries: InferQueries
  ms: number
}

const DEFAULT_MIN_CONFIDENCE = 0.6
const DEFAULT_SAMPLE_ROWS = 2000
const DEFAULT_EXACT_UP_TO = 50_000
/** A sample this much against a candidate settles it: reading every row could not save it. */
const SAMPLE_SETTLES = -3

function tableKey(table: { schema: string; name: string }): string {
  return `${table.schema}.${table.name}`
}

function describe(table: TableInfo, columns: ColumnInfo[], defaultSchema: string, where?: Record<string, unknown>): string {
  const name = table.schema === defaultSchema ? table.name : `${table.schema}.${table.name}`
  const filter = Object.entries(where ?? {})
    .map(([column, value]) => ` where ${column} = ${typeof value === 'string' ? `'${value}'` : String(value)}`)
    .join('')
  return `${name}(${columns.map((column) => column.name).join(', ')})${filter}`
}

function inChunks<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size))
  return chunks
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const group = groups.get(key(item))
    if (group) group.push(item)
    else groups.set(key(item), [item])
  }
  return groups
}

/** The relation a candidate stands for, as a config file would hold it. */
function relationInput(candidate: Candidate, name: string, defaultSchema: string, databaseName: string | undefined): RelationInput {
  const side = (table: TableInfo, columns: ColumnInfo[]) => ({
    ...(databaseName ? { database: databaseName } : {}),
    ...(table.schema === defaultSchema ? {} : { schema: table.schema }),
    table: table.name,
    columns: columns.map((column) => column.name),
  })
  return {
    name,
    child: { ...side(candidate.child.table, candidate.child.columns), ...(candidate.child.where ? { where: candidate.child.where } : {}) },
    parent: side(candidate.parent.table, candidate.parent.columns),
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column, i) => column === b[i])
}

/** Whether a configured relation has this candidate's child and parent. */
function isConfigured(candidate: Candidate, relation: Relation, database: string, defaultSchema: string): boolean {
  const same = (side: Relation['child'] | Relation['parent'], table: TableInfo, columns: ColumnInfo[]) =>
    side.database === database &&
    (side.schema ?? defaultSchema) === table.schema &&
    side.table === table.name &&
    sameColumns(
      side.columns,
      columns.map((column) => column.name),
    )
  return (
    same(relation.child, candidate.child.table, candidate.child.columns) &&
    same(relation.parent, candidate.parent.table, candidate.parent.columns)
  )
}

/** A relation name not yet taken: PostgreSQL's constraint name, then with the parent's name, then numbered. */
function uniqueName(candidate: Candidate, taken: Set<string>): string {
  const columns = candidate.child.columns.map((column) => column.name)
  const base = defaultRelationName({ table: candidate.child.table.name, columns })
  const withParent = `${candidate.child.table.name}_${columns.join('_')}_${candidate.parent.table.name}_fkey`
  let name = candidate.child.where || taken.has(base) ? withParent : base
  for (let n = 2; taken.has(name); n++) name = `${withParent}${n}`
  taken.add(name)
  return name
}

/** A run's shared state: the database, options with defaults, and the statements sent so far. */
interface Run {
  database: Database
  family: 'postgres' | 'mysql'
  options: InferOptions
  queries: InferQueries
  progress: (progress: InferProgress) => void
}

/** Candidates from names, types and keys (no data read), then the polymorphic pairs' candidates from their type values. */
async function metadataCandidates(
  run: Run,
  tables: TableInfo[],
  catalog: ParentCatalog,
  declared: (table: TableInfo, columns: string[]) => boolean,
): Promise<{ candidates: Candidate[]; unresolved: NameMiss[] }> {
  const notDeclared = (candidate: Candidate) =>
    !declared(
      candidate.child.table,
      candidate.child.columns.map((column) => column.name),
    )
  const pairs = tables.flatMap(polymorphicPairs).filter((pair) => !declared(pair.table, [pair.idColumn.name]))
  const named = nameCandidates(tables, catalog, declared, pairs)
  const candidates = [...named.candidates, ...compositeCandidates(tables, catalog).filter(notDeclared)]
  const unresolved = [...named.misses]
  for (const [i, pair] of pairs.entries()) {
    run.progress({ phase: 'types', done: i, total: pairs.length, table: pair.table.name })
    const values = await readTypeValues(run.database.db, pair)
    run.queries.typeValues++
    const found = polymorphicCandidates(pair, values, catalog, tables)
    candidates.push(...found)
    const resolved = new Set(found.map((candidate) => candidate.child.where?.[pair.typeColumn.name]))
    const missing = values.slice(0, MAX_TYPE_VALUES).filter((value) => !resolved.has(value))
    const column = `${pair.table.name}.${pair.idColumn.name}`
    if (missing.length > 0) {
      const list = missing.map((value) => `'${value}'`).join(', ')
      unresolved.push({ column, reason: `${pair.typeColumn.name} values that name no table with a one-column primary key: ${list}` })
    }
    if (values.length > MAX_TYPE_VALUES) {
      unresolved.push({ column, reason: `${pair.typeColumn.name} has more than ${MAX_TYPE_VALUES} values: only the first were read` })
    }
  }
  return { candidates, unresolved }
}

/** Row count and key range of every parent the candidates name: one statement per parent table. */
async function readParents(run: Run, candidates: Candidate[]): Promise<void> {
  const byParent = groupBy(candidates, (candidate) => tableKey(candidate.parent.table))
  let done = 0
  for (const group of byParent.values()) {
    const parent = (group[0] as Candidate).parent.table
    run.progress({ phase: 'parents', done: done++, total: byParent.size, table: parent.name })
    const columns = [...new Set(group.filter((c) => c.parent.columns.length === 1).map((c) => c.parent.columns[0] as ColumnInfo))]
    const { rows, keys } = await readParentStats(run.database.db, parent, columns)
    run.queries.parentStats++
    for (const candidate of group) {
      const only = candidate.parent.columns.length === 1 ? keys.get((candidate.parent.columns[0] as ColumnInfo).name) : undefined
      candidate.parentStats = only ?? { rows }
    }
  }
}

/**
 * Each child table's coverage, at most JOINS_PER_STATEMENT candidates per statement: a child estimated above
 * `exactUpTo` rows (or never analyzed) is sampled first, and only what the sample leaves standing is read whole.
 */
async function readChildren(run: Run, candidates: Candidate[], schemas: string[]): Promise<void> {
  if (candidates.length === 0) return
  const { options, family, database } = run
  const estimates = await estimateAllRows(database.db, family, schemas)
  run.queries.catalog++
  const byChild = groupBy(candidates, (candidate) => tableKey(candidate.child.table))
  let done = 0
  for (const group of byChild.values()) {
    const table = (group[0] as Candidate).child.table
    const estimate = estimates.get(tableKey(table))
    let pending = group
    if (estimate === undefined || estimate > (options.exactUpTo ?? DEFAULT_EXACT_UP_TO)) {
      const rows = options.sampleRows ?? DEFAULT_SAMPLE_ROWS
      const mode: ReadMode = { method: 'sample', rows, ...(estimate !== undefined ? { estimatedRows: estimate } : {}) }
      pending = []
      for (const batch of inChunks(group, JOINS_PER_STATEMENT)) {
        run.progress({ phase: 'samples', done, total: byChild.size, table: table.name })
        const read = await readCoverage(database.db, family, table, batch, mode)
        run.queries.samples++
        batch.forEach((candidate, i) => {
          candidate.coverage = read.coverages[i]
          const settled = read.complete || options.sampleOnly || logOdds(dataEvidence(candidate)) <= SAMPLE_SETTLES
          if (!settled) pending.push(candidate)
        })
      }
    }
    for (const batch of inChunks(pending, JOINS_PER_STATEMENT)) {
      run.progress({ phase: 'exact', done, total: byChild.size, table: table.name })
      const read = await readCoverage(database.db, family, table, batch, { method: 'exact' })
      run.queries.exact++
      batch.forEach((candidate, i) => {
        candidate.coverage = read.coverages[i]
      })
    }
    done++
  }
}

/** Every candidate with its evidence (data and competition added) and confidence, most confident first. */
function scoreCandidates(run: Run, candidates: Candidate[], defaultSchema: string): InferredRelation[] {
  const { options, database } = run
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE
  const evidence = new Map<Candidate, Evidence[]>(
    candidates.map((candidate) => [candidate, [...candidate.evidence, ...dataEvidence(candidate)]]),
  )
  competitionEvidence(candidates, evidence)
  const configuredRelations = options.configured ?? []
  const taken = new Set(configuredRelations.map((relation) => relation.name))
  return candidates
    .map((candidate) => ({ candidate, confidence: Math.round(probability(logOdds(evidence.get(candidate) ?? [])) * 100) / 100 }))
    .sort((a, b) => b.confidence - a.confidence || childKey(a.candidate.child).localeCompare(childKey(b.candidate.child)))
    .map(({ candidate, confidence }): InferredRelation => {
      const configured = configuredRelations.find((relation) => isConfigured(candidate, relation, database.name, defaultSchema))
      const name = configured?.name ?? uniqueName(candidate, taken)
      return {
        name,
        child: describe(candidate.child.table, candidate.child.columns, defaultSchema, candidate.child.where),
        parent: describe(candidate.parent.table, candidate.parent.columns, defaultSchema),
        confidence,
        accepted: confidence >= minConfidence,
        configured: configured !== undefined,
        evidence: evidence.get(candidate) ?? [],
        relation: relationInput(candidate, name, defaultSchema, options.databaseName),
      }
    })
}

/**
 * Finds the relations a database never declared: candidates from names (metadata only), then for the plausible
 * ones, data: parent key statistics, a sample of each large child, and every row for what the sample leaves standing.
 */
export async function inferRelations(database: Database, options: InferOptions = {}): Promise<InferReport> {
  const started = performance.now()
  const family = database.dialect.family
  const run: Run = {
    database,
    family,
    options,
    queries: { catalog: 0, typeValues: 0, parentStats: 0, samples: 0, exact: 0 },
    progress: options.onProgress ?? (() => {}),
  }
  const schema = await database.introspect(options.schemas ?? [])
  const wanted = new Set([schema.defaultSchema, ...(options.schemas ?? [])])
  // Inheritance children and partitions are read with their parent table: a relation from the parent covers their rows.
  const inheriting = new Set((await readTableParents(database)).keys())
  run.queries.catalog++
  const tables = schema.tables.filter(
    (table) =>
      table.kind === 'table' && wanted.has(table.schema) && !inheriting.has(tableKey(table)) && !table.name.startsWith('refguard_'),
  )
  const declaredKeys = new Set(tables.flatMap((table) => table.foreignKeys.map((fk) => `${tableKey(table)}(${fk.columns.join(',')})`)))
  const declared = (table: TableInfo, columns: string[]) => declaredKeys.has(`${tableKey(table)}(${columns.join(',')})`)

  const { candidates, unresolved } = await metadataCandidates(run, tables, new ParentCatalog(tables, schema.defaultSchema), declared)
  const readable = candidates.filter((candidate) => candidate.comparable)
  await readParents(run, readable)
  await readChildren(run, readable, [...wanted])
  return {
    ok: true,
    database: database.name,
    dialect: database.dialect.name,
    minConfidence: options.minConfidence ?? DEFAULT_MIN_CONFIDENCE,
    tables: tables.length,
    columns: tables.reduce((sum, table) => sum + table.columns.length, 0),
    declared: declaredKeys.size,
    candidates: scoreCandidates(run, candidates, schema.defaultSchema),
    unresolved,
    queries: run.queries,
    ms: Math.round(performance.now() - started),
  }
}
