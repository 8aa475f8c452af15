import pc from 'picocolors'
import type { CheckReport } from '../audit/check.js'
import { formatCheckText } from '../report/text.js'
import type { DemoExample } from './example.js'
import { indentLines, listOf, wrap } from './wording.js'

const INDENT = '   '

function heading(text: string): string {
  return pc.bold(pc.cyan(text))
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** A shell command, continued onto further lines with a trailing backslash when it is too long for one. */
export function shellCommand(words: string[], width = 100): string {
  const lines: string[] = []
  let line = INDENT
  for (const word of words) {
    if (line.trim() && line.length + word.length + 3 > width) {
      lines.push(`${line} \\`)
      line = `${INDENT}    `
    }
    line += line.trim() ? ` ${word}` : word
  }
  lines.push(line)
  return lines.join('\n')
}

/** What refguard is and what the tour is about to do. */
export function introduction(examples: readonly DemoExample[]): string {
  return [
    heading('refguard demo'),
    wrap(
      'refguard gives databases that run without FOREIGN KEY constraints (PlanetScale/Vitess, sharded or split databases, ' +
        'legacy schemas) the guarantees that foreign keys give. The first of them: knowing how broken the data already is.',
      INDENT,
    ),
    wrap(
      `This tour runs on embedded PostgreSQL (PGlite) in memory: no server, no setup, nothing written to disk. It loads ` +
        `${examples.length} small datasets from well-known write-ups, one schema each (${listOf(examples.map((example) => example.schema))}), ` +
        'declares the relations they should have had, and runs refguard check on each.',
      INDENT,
    ),
    '',
  ].join('\n\n')
}

/** The line that says the datasets are loaded. */
export function loaded(examples: readonly DemoExample[], ms: number): string {
  const schemas = listOf(examples.map((example) => example.schema))
  return `${INDENT}${pc.dim(`Started PGlite and loaded ${schemas} in ${seconds(ms)}.`)}\n\n`
}

/** One example: its story, its relations, the check report and what the report means. */
export function exampleSection(
  number: number,
  example: DemoExample,
  relationNames: string[],
  report: CheckReport,
  sampleLimit: number,
): string {
  return [
    heading(`${number}. ${example.title}`),
    wrap(example.story, INDENT),
    [`${INDENT}${pc.bold('Relations')}`, ...example.relations.map((relation) => `${INDENT}  ${relation}`)].join('\n'),
    [
      shellCommand(['$ refguard check', ...relationNames.map((name) => `--relation ${name}`)]),
      indentLines(formatCheckText(report, sampleLimit, 100 - INDENT.length), INDENT),
    ].join('\n'),
    [`${INDENT}${pc.bold('What this means')}`, ...example.explain(report).map((line) => wrap(line, `${INDENT}  `, `${INDENT}• `))].join(
      '\n',
    ),
    '',
  ].join('\n\n')
}

/** How to run refguard on one's own database. */
export function closing(ms: number): string {
  return [
    heading('Run it on your own database'),
    [
      `${INDENT}1. Describe your relations in refguard.config.ts:`,
      `${INDENT}     import { defineConfig } from 'refguard'`,
      `${INDENT}     export default defineConfig({`,
      `${INDENT}       databases: { main: 'postgres://app@localhost:5432/app' },`,
      `${INDENT}       relations: ['order_lines(order_pk) -> orders(order_pk) on delete cascade'],`,
      `${INDENT}     })`,
      `${INDENT}2. refguard check                               the report you saw above, for every relation`,
      `${INDENT}   refguard check --json                        one JSON object on stdout, for CI and scripts`,
      `${INDENT}   refguard check --format html --out r.html    one page with a relation diagram`,
      `${INDENT}3. refguard repair                              the plan; add --apply to run it, archived`,
      `${INDENT}   refguard restore RUN_ID --apply              puts back every row a run changed`,
      `${INDENT}4. refguard init && refguard worker             queued cascades: jobs committed with the delete, run by workers`,
      `${INDENT}   refguard sweep --cron "*/5 * * * *"          scheduled cascades: soft-deleted parents swept in batches`,
      `${INDENT}5. refguard infer --write                       relations nobody declared, found from names and data`,
      `${INDENT}   refguard migrate to-soft | to-hard           between FOREIGN KEY constraints and relations, preflighted`,
      `${INDENT}   refguard import prisma schema.prisma         the relations of a Prisma schema`,
      `${INDENT}6. Exit codes: 0 clean, 1 orphans or other errors found, 2 usage, config or connection error.`,
      `${INDENT}   refguard --help, and --help on every command, say more.`,
    ].join('\n'),
    pc.dim(`Tour finished in ${seconds(ms)}.`),
  ].join('\n\n')
}
