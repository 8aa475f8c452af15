import { checkBenchmark } from './check.js'
import { enforceBenchmark } from './enforce.js'
import type { Benchmark } from './support/benchmark.js'

/** Every benchmark `bench/run.ts` knows, by name. */
export const BENCHMARKS: readonly Benchmark[] = [checkBenchmark, enforceBenchmark]
