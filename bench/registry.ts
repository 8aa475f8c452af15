import { auditBenchmark } from './audit.js'
import { cascadeBenchmark } from './cascade.js'
import { crossdbBenchmark } from './crossdb.js'
import { enforceBenchmark } from './enforce.js'
import { inferBenchmark } from './infer.js'
import { prismaBenchmark } from './prisma-benchmark.js'
import { repairBenchmark } from './repair.js'
import type { Benchmark } from './support/benchmark.js'

/** Every benchmark `bench/run.ts` knows, by name. */
export const BENCHMARKS: readonly Benchmark[] = [
  auditBenchmark,
  enforceBenchmark,
  repairBenchmark,
  cascadeBenchmark,
  prismaBenchmark,
  crossdbBenchmark,
  inferBenchmark,
]
