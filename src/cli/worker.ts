import { type Command, Option } from 'commander'
import { loadConfig } from '../config/load.js'
import { UsageError } from '../errors.js'
import { BROKER_URLS } from '../queue/broker-feed.js'
import { transportByName } from '../queue/feed.js'
import { type JobEvent, startWorker, type WorkerSummary } from '../queue/worker.js'
import { type CommonOptions, durationOption, integerOption, withCommonOptions } from './options.js'
import { EXIT, runCommand } from './run-command.js'

interface WorkerCommandOptions extends CommonOptions {
  concurrency: number
  once?: boolean
  batchSize: number
  dbConcurrency?: number
  maxAttempts: number
  lease: number
  backoff: number
  poll?: number
  transport: string
  broker?: string
  queue?: string
  relay: boolean
  keepDone: number
  database?: string
}

function jobLine(event: JobEvent, json: boolean): string {
  if (json) return JSON.stringify({ event: 'job', ...event })
  const failure = event.error === undefined ? '' : ` after attempt ${event.attempts}: ${event.error.split('\n')[0]}`
  return `job ${event.id} ${event.state}: ${event.relation} (${event.action}), ${event.rows} rows in ${event.ms} ms${failure}`
}

function summaryLine(id: string, summary: WorkerSummary, json: boolean): string {
  if (json) return JSON.stringify({ event: 'stopped', ok: summary.dead === 0, worker: id, ...summary })
  return `worker ${id} stopped: ${summary.done} jobs done, ${summary.retried} to retry, ${summary.dead} dead, ${summary.rows} rows`
}

function duration(flags: string, description: string, ms: number, shown: string): Option {
  return new Option(flags, description).argParser(durationOption(flags.split(' ')[0] as string)).default(ms, shown)
}

/** `refguard worker`: runs queued cascades until stopped (SIGTERM, SIGINT), or with --once until the queue is drained. */
export function registerWorker(program: Command): void {
  withCommonOptions(program.command('worker'))
    .description(
      'apply the actions of queued relations: claim jobs from refguard_jobs, work through the children in batches, retry, dead-letter',
    )
    .option(
      '--database <name>',
      "the configured database whose refguard_jobs to serve (default: the config's default database); run one worker per database that queues jobs",
    )
    .option('--concurrency <n>', 'jobs worked on at once, each on its own connection', integerOption('--concurrency'), 1)
    .option('--once', 'drain the queue (waiting for running jobs and retries too), then exit')
    .option('--batch-size <n>', 'child rows per batch, each in its own short transaction', integerOption('--batch-size'), 1000)
    .option(
      '--db-concurrency <n>',
      'at most this many batches at once on the database, across every worker given the same cap (PostgreSQL; default: no cap)',
      integerOption('--db-concurrency'),
    )
    .option('--max-attempts <n>', 'failed attempts after which a job is dead-lettered', integerOption('--max-attempts'), 5)
    .addOption(duration('--lease <duration>', "how long a claimed job stays this worker's without a batch committing", 60_000, '60s'))
    .addOption(duration('--backoff <duration>', 'wait before retrying a failed job, doubling per attempt', 1000, '1s'))
    .addOption(
      duration(
        '--keep-done <duration>',
        'how long done jobs stay in refguard_jobs (dead jobs stay until removed)',
        7 * 24 * 3_600_000,
        '168h',
      ),
    )
    .addOption(
      new Option(
        '--poll <duration>',
        'how often to look for jobs while there are none; with a broker, to claim from the table anyway (default: 1s; 10s with a broker)',
      ).argParser(durationOption('--poll')),
    )
    .option('--transport <name>', 'how workers hear of jobs: database (poll refguard_jobs), rabbitmq or nats (a broker)', 'database')
    .option('--broker <url>', `the broker's URL (default: ${BROKER_URLS.rabbitmq} for rabbitmq, ${BROKER_URLS.nats} for nats)`)
    .option('--queue <name>', 'the RabbitMQ queue or NATS subject of job ids (default refguard.jobs; the NATS stream is named after it)')
    .option('--no-relay', 'with a broker: do not run the outbox relay in this worker (then another worker must)')
    .addHelpText(
      'after',
      '\nWith --transport rabbitmq or nats, an outbox relay in each worker publishes the ids of committed jobs to the broker' +
        '\n(after the broker confirms them it sets published_at), and workers claim the job a message names; the job row stays' +
        '\nthe truth, so a lost or duplicated message is harmless, and every --poll a waiting worker claims from the table anyway.' +
        '\nAn unreachable broker at start is exit 2; an outage later is waited out (reconnecting), the jobs waiting in the table.' +
        '\n\nOne line per job on stdout (--json: one JSON object per line, then {"event":"stopped",...}).' +
        '\nSIGTERM or SIGINT: the batches under way finish (on PostgreSQL, a run of leaf batches: at most 100 ms), their jobs go back to the queue, and the worker exits.' +
        '\nExit codes: 0 stopped cleanly, 1 a job was dead-lettered during the run, 2 usage, config or connection error.',
    )
    .action(async (options: WorkerCommandOptions) => {
      const json = Boolean(options.json)
      await runCommand(json, async () => {
        const transport = transportByName(options.transport)
        if ((options.broker ?? options.queue) !== undefined && transport === 'database') {
          throw new UsageError('--broker and --queue need a broker transport', 'add --transport rabbitmq or --transport nats')
        }
        const config = await loadConfig(options.config)
        const say = (message: string) => process.stderr.write(`refguard worker: ${message}\n`)
        const worker = await startWorker({
          config,
          ...(options.database === undefined ? {} : { database: options.database }),
          transport,
          brokerUrl: options.broker,
          transportOptions: {
            ...(options.queue === undefined ? {} : { queue: options.queue }),
            onConnectionChange: (change) => say(change.state === 'lost' ? change.error.problem : `reconnected to ${transport}`),
          },
          relay: options.relay,
          concurrency: options.concurrency,
          batchSize: options.batchSize,
          ...(options.dbConcurrency === undefined ? {} : { dbConcurrency: options.dbConcurrency }),
          maxAttempts: options.maxAttempts,
          leaseMs: options.lease,
          backoffMs: options.backoff,
          pollMs: options.poll,
          keepDoneMs: options.keepDone,
          once: Boolean(options.once),
          onJob: (event) => process.stdout.write(`${jobLine(event, json)}\n`),
          onError: (error) => say(`${error instanceof Error ? error.message : String(error)} (trying again)`),
        })
        const stop = () => void worker.stop()
        process.once('SIGTERM', stop)
        process.once('SIGINT', stop)
        try {
          const summary = await worker.stopped
          process.stdout.write(`${summaryLine(worker.id, summary, json)}\n`)
          return summary.dead > 0 ? EXIT.findings : EXIT.clean
        } finally {
          process.off('SIGTERM', stop)
          process.off('SIGINT', stop)
        }
      })
    })
}
