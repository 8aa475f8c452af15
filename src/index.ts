export { type CheckOptions, type CheckReport, type RelationResult, runCheck } from './audit/check.js'
export { SchemaMismatchError } from './audit/errors.js'
export type { Finding, FindingKind } from './audit/finding.js'
export { defineConfig } from './config/define-config.js'
export { ConfigError } from './config/errors.js'
export { findConfigFile, loadConfig } from './config/load.js'
export { type ResolvedConfig, resolveConfig } from './config/normalize.js'
export { parseRelationShorthand, ShorthandError } from './config/shorthand.js'
export type { DatabaseInput, RefguardConfig, RelationDefaults, RelationInput, SideInput } from './config/types.js'
export { type Database, openDatabase } from './db/connect.js'
export { DatabaseSet } from './db/database-set.js'
export type { Dialect } from './db/dialect.js'
export { ConnectionError } from './db/errors.js'
export type { ColumnInfo, ForeignKeyInfo, IndexInfo, SchemaInfo, TableInfo } from './db/schema-info.js'
export { type DatabaseLocation, type DialectName, parseDatabaseUrl, redactUrl } from './db/url.js'
export { ReferentialIntegrityError, UnguardedWriteError, type ViolatingAction } from './enforce/errors.js'
export { createGuard, type Guard, type GuardOptions } from './enforce/guard.js'
export { UsageError } from './errors.js'
export { type Cycle, RelationGraph } from './model/graph.js'
export type {
  ChildSide,
  ExecutionMode,
  FilterValue,
  MatchType,
  ParentSide,
  ReferentialAction,
  Relation,
  TableRef,
} from './model/relation.js'
export { validateRelation } from './model/validate.js'
export type { JobAction, JobState } from './queue/job.js'
export { type DeadJob, type QueueStatus, queueStatus, type RelationQueueStatus } from './queue/status.js'
export { ensureJobTables } from './queue/tables.js'
export type { JobFeed, TransportName } from './queue/feed.js'
export { TransportError } from './queue/transports/errors.js'
export type { ConnectionChange, TransportOptions } from './queue/transports/transport.js'
export { type JobEvent, startWorker, type Worker, type WorkerOptions, type WorkerSummary } from './queue/worker.js'
export type { Strategy } from './repair/plan.js'
export type { RepairOptions, RepairReport } from './repair/repair.js'
