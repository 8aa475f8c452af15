import type { CheckReport } from '../audit/report.js'
import { findColumn, type TableInfo } from '../db/schema-info.js'
import { UsageError } from '../errors.js'
import { RelationGraph } from '../model/graph.js'
import type { Relation } from '../model/relation.js'
import { didYouMean } from '../util/suggest.js'

/** What a repair does to a relation's orphans. */
export type Strategy = 'delete' | 'set-null' | 'set-default' | 'ignore'

/** One step of a repair: one relation's sentinel conversion or orphan cleanup. */
export interface RepairStep {
  relation: string
  kind: 'sentinel' | 'orphans'
  strategy: Strategy
  /** The sentinel column and value, for sentinel steps. */
  column?: string
  value?: string | number
  /** Rows the step would change now (orphan steps: plus the rows earlier deletes orphan, as the check counted them). */
  planned: number
  /** The DDL a sentinel step needs first (the column is NOT NULL); applied only with --apply --alter. */
  alter?: string
  /** Sentinel values an orphan step must leave alone: their own step turns them into NULL. */
  keep: Array<string | number>
  /** Why the step will not run. */
  skip?: string
}

/** The strategy a relation's own ON DELETE implies: what a foreign key would have done to its children. */
export function defaultStrategy(relation: Relation): Strategy {
  if (relation.onDelete === 'set null') return 'set-null'
  if (relation.onDelete === 'set default') return 'set-default'
  return 'delete'
}

/** Parses `--strategy NAME=delete|set-null|set-default|ignore` values, naming unknown relations and strategies. */
export function parseStrategies(values: string[], relations: Relation[]): Record<string, Strategy> {
  const pairs = values.map((value) => {
    const at = value.indexOf('=')
    return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)]
  })
  return validateStrategies(Object.fromEntries(pairs), relations)
}

/** Checks strategies given per relation name (the library's `strategies`), naming unknown relations and strategies. */
export function validateStrategies(given: Record<string, string>, relations: Relation[]): Record<string, Strategy> {
  const names = relations.map((relation) => relation.name)
  const strategies: Record<string, Strategy> = {}
  for (const [name, strategy] of Object.entries(given)) {
    if (!names.includes(name)) {
      throw new UsageError(`--strategy: unknown relation "${name}"${didYouMean(name, names)}`, `use one of: ${names.join(', ')}`)
    }
    if (strategy !== 'delete' && strategy !== 'set-null' && strategy !== 'set-default' && strategy !== 'ignore') {
      throw new UsageError(
        `--strategy ${name}=${strategy}: the strategy must be delete, set-null, set-default or ignore`,
        `write --strategy ${name}=delete`,
      )
    }
    strategies[name] = strategy
  }
  return strategies
}

/** Refuses, before any change, a strategy the child table cannot take: SET NULL on NOT NULL, SET DEFAULT without a default. */
export function refuseImpossibleStrategy(relation: Relation, strategy: Strategy, child: TableInfo): void {
  for (const name of relation.child.columns) {
    const column = findColumn(child, name)
    if (strategy === 'set-null' && column && !column.nullable) {
      throw new UsageError(
        `relation "${relation.name}": strategy set-null on NOT NULL column ${child.name}.${name}: nothing was changed`,
        `make ${child.name}.${name} nullable first, or pass --strategy ${relation.name}=delete`,
      )
    }
    if (strategy === 'set-default' && column && column.default === null) {
      throw new UsageError(
        `relation "${relation.name}": strategy set-default, but ${child.name}.${name} has no default: nothing was changed`,
        `give ${child.name}.${name} a default that exists in ${relation.parent.table}, or choose another --strategy`,
      )
    }
  }
  if (strategy !== 'ignore' && child.primaryKey.length === 0) {
    throw new UsageError(
      `relation "${relation.name}": ${child.name} has no primary key, so its rows cannot be repaired in batches or restored: nothing was changed`,
      `add a primary key to ${child.name}, or pass --strategy ${relation.name}=ignore`,
    )
  }
}

/**
 * The relations a run may change, with their strategies: those with a pending orphan step (`pending`) and,
 * below every table whose rows a delete removes, the relations whose orphans only a later round would find.
 */
export function relationsInReach(
  pending: string[],
  relations: Relation[],
  strategies: Record<string, Strategy>,
): Array<[Relation, Strategy]> {
  const graph = new RelationGraph(relations)
  const strategyOf = (relation: Relation) => strategies[relation.name] ?? defaultStrategy(relation)
  const reached = relations.filter((relation) => pending.includes(relation.name))
  // The loop also visits the relations it appends: deletes cascade down any number of levels.
  for (const relation of reached) {
    if (strategyOf(relation) !== 'delete') continue
    for (const below of graph.childrenOf(relation.child)) if (!reached.includes(below)) reached.push(below)
  }
  return reached.map((relation) => [relation, strategyOf(relation)])
}

/**
 * The steps of a repair, in fix order (parents first): each relation's sentinel conversions, then its
 * orphans. An orphan step also counts the rows that the deletes of earlier steps will orphan.
 */
export function planSteps(report: CheckReport, relations: Relation[], strategies: Record<string, Strategy>, alter: boolean): RepairStep[] {
  const inherited = new Map<string, number>()
  const steps: RepairStep[] = []
  for (const result of report.relations) {
    const relation = relations.find((candidate) => candidate.name === result.name) as Relation
    const strategy = strategies[result.name] ?? defaultStrategy(relation)
    const sentinels = report.findings.filter((finding) => finding.kind === 'sentinel' && finding.relation === result.name)
    for (const finding of sentinels) {
      const ddl = finding.fix.split('\n').length > 1 ? finding.fix.split('\n')[0]?.replace(/;$/, '') : undefined
      steps.push({
        relation: result.name,
        kind: 'sentinel',
        strategy: strategy === 'ignore' ? 'ignore' : 'set-null',
        column: finding.column as string,
        value: finding.value as string | number,
        planned: finding.count ?? 0,
        keep: [],
        ...(ddl ? { alter: ddl } : {}),
        ...(ddl && !alter ? { skip: `${finding.column} is NOT NULL: pass --alter to apply "${ddl}" first` } : {}),
      })
    }
    const orphans = report.findings.find((finding) => finding.kind === 'orphans' && finding.relation === result.name)
    const planned = (orphans?.count ?? 0) + (inherited.get(result.name) ?? 0)
    if (planned > 0) {
      steps.push({
        relation: result.name,
        kind: 'orphans',
        strategy,
        planned,
        keep: sentinels.map((finding) => finding.value as string | number),
      })
    }
    if (strategy === 'delete') {
      for (const effect of result.downstream) inherited.set(effect.relation, (inherited.get(effect.relation) ?? 0) + effect.rows)
    }
  }
  return steps
}
