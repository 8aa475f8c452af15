import { type Command, InvalidArgumentError } from 'commander'
import { loadConfig } from '../config/load.js'
import { addRelationsToConfig } from '../config/write.js'
import { DatabaseSet } from '../db/database-set.js'
import { UsageError } from '../errors.js'
import { formatInferText, type WriteOutcome } from '../infer/format.js'
import { type InferProgress, inferRelations } from '../infer/infer.js'
import { type CommonOptions, collect, databaseOption, integerOption, withCommonOptions } from './options.js'
import { EXIT, runCommand } from './run-command.js'

interface InferCommandOptions extends CommonOptions {
  minConfidence: number
  write?: boolean
  database?: string
  schema?: string[]
  sampleRows: number
  sampleOnly?: boolean
  progress: boolean
}

const PHASES: Record<InferProgress['phase'], string> = {
  types: 'reading polymorphic types',
  parents: 'reading parent keys',
  samples: 'sampling',
  exact: 'checking every row of',
}
const BAR_WIDTH = 20
const REDRAW_MS = 100

function confidenceOption(value: string): number {
  const number = Number(value)
  if (!/^\d*\.?\d+$/.test(value.trim()) || number < 0 || number > 1) {
    throw new InvalidArgumentError(`--min-confidence must be a number from 0 to 1, got "${value}"`)
  }
  return number
}

/** A one-line progress bar on a terminal (nothing when stderr is not one, so pipes and CI logs stay clean). */
function inferProgressBar(stream: NodeJS.WriteStream): { update: (progress: InferProgress) => void; clear: () => void } {
  if (!stream.isTTY) return { update: () => {}, clear: () => {} }
  let drawnAt = 0
  let drawn = false
  return {
    update(progress) {
      const now = performance.now()
      if (now - drawnAt < REDRAW_MS) return
      drawnAt = now
      const fraction = progress.total > 0 ? progress.done / progress.total : 0
      const bar = `[${'#'.repeat(Math.round(fraction * BAR_WIDTH)).padEnd(BAR_WIDTH, '-')}]`
      const line = `infer: ${PHASES[progress.phase]} ${progress.table ?? ''} ${bar} ${progress.done}/${progress.total}`
      stream.write(`\r\u001b[2K${line.slice(0, (stream.columns || 100) - 1)}`)
      drawn = true
    },
    clear() {
      if (drawn) stream.write('\r\u001b[2K')
      drawn = false
    },
  }
}

/** `refguard infer`: relations the database never declared, from names, types, keys and data. */
export function registerInfer(program: Command): void {
  withCommonOptions(program.command('infer'))
    .description(
      'find relations a database never declared: candidates from names, types, unique keys and the data, with a confidence and the evidence',
    )
    .option('--min-confidence <x>', 'lowest confidence (0 to 1) to accept, list as accepted and --write', confidenceOption, 0.6)
    .option('--write', 'add the accepted candidates to the config file (relations already there are left alone)')
    .option('-d, --database <name>', "the config's database to look at (default: main, or the first one)")
    .option('-s, --schema <name>', 'also look in this schema (repeatable)', collect)
    .option('--sample-rows <n>', 'rows sampled from each large child table before every row is read', integerOption('--sample-rows'), 2000)
    .option('--sample-only', 'judge large tables by their sample alone (no full scans)')
    .option('--no-progress', 'no progress bar on the terminal')
    .addHelpText(
      'after',
      '\nNames come first (no data read); the data is read only for plausible pairs: a sample of each large child,' +
        '\nthen every row for what the sample leaves standing. --json prints every candidate with its evidence.' +
        '\n\nExit codes: 0 done (finding candidates is no failure), 2 usage, config or connection error.',
    )
    .action(async (options: InferCommandOptions) => {
      await runCommand(Boolean(options.json), async () => {
        const config = await loadConfig(options.config)
        const name = databaseOption(config, options.database)
        const databases = new DatabaseSet(config)
        const progress = inferProgressBar(process.stderr)
        try {
          const database = await databases.get(name)
          const report = await inferRelations(database, {
            minConfidence: options.minConfidence,
            sampleRows: Math.max(1, options.sampleRows),
            configured: config.relations,
            ...(options.schema ? { schemas: options.schema } : {}),
            ...(options.sampleOnly ? { sampleOnly: true } : {}),
            ...(name !== config.defaultDatabase ? { databaseName: name } : {}),
            ...(options.progress ? { onProgress: progress.update } : {}),
          })
          progress.clear()
          let write: WriteOutcome | undefined
          if (options.write) {
            if (!config.file)
              throw new UsageError(
                '--write needs a config file',
                'create refguard.config.ts (refguard init shows one) or pass --config FILE',
              )
            const accepted = report.candidates.filter((candidate) => candidate.accepted && !candidate.configured)
            const result = await addRelationsToConfig(
              config.file,
              accepted.map((candidate) => candidate.relation),
            )
            const configured = report.candidates.filter((candidate) => candidate.accepted && candidate.configured).map((c) => c.name)
            write = {
              file: result.file,
              added: result.added.map((relation) => relation.name as string),
              alreadyPresent: [...configured, ...result.alreadyPresent.map((relation) => relation.name as string)],
            }
          }
          const output = options.json
            ? JSON.stringify(write ? { ...report, written: write } : report, null, 2)
            : formatInferText(report, write)
          process.stdout.write(`${output}\n`)
          return EXIT.clean
        } finally {
          progress.clear()
          await databases.close()
        }
      })
    })
}
