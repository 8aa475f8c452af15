import { Argument, type Command } from 'commander'
import { findConfigFile } from '../config/load.js'
import type { RelationInput } from '../config/types.js'
import { addRelationsToConfig } from '../config/write.js'
import type { PrismaImport } from '../import/prisma/import.js'
import { describeRelationInput } from '../migrate/text.js'
import { type CommonOptions, withCommonOptions } from './options.js'
import { EXIT, runCommand } from './run-command.js'

interface ImportCommandOptions extends CommonOptions {
  dryRun?: boolean
}

/** A whole config for a project that has none yet: the database URL from the environment, as Prisma's own. */
function newConfig(imported: PrismaImport): object {
  return { databases: { main: { url: '${DATABASE_URL}' } }, relations: imported.relations }
}

function formatImport(
  imported: PrismaImport,
  written: { file: string; added: RelationInput[]; alreadyPresent: RelationInput[] } | undefined,
): string {
  const lines = [`${imported.file}: ${imported.relations.length} relation(s) (relationMode "${imported.relationMode}")`]
  if (written) {
    lines.push(`${written.file}: ${written.added.length} added, ${written.alreadyPresent.length} already there.`)
    lines.push(...written.added.map((relation) => `  ${describeRelationInput(relation)}`))
  } else lines.push(...imported.relations.map((relation) => `  ${describeRelationInput(relation)}`))
  lines.push(...imported.notes.map((note) => `note: ${note}`))
  return lines.join('\n')
}

async function importPrisma(file: string, options: ImportCommandOptions): Promise<number> {
  // The Prisma parser is large (a third of a second to load): only this command loads it.
  const { importPrismaSchema } = await import('../import/prisma/import.js')
  const imported = await importPrismaSchema(file)
  const configFile = options.config ?? findConfigFile()
  if (!configFile) {
    const config = newConfig(imported)
    if (options.json) process.stdout.write(`${JSON.stringify({ ok: true, ...imported, config }, null, 2)}\n`)
    else {
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`)
      process.stderr.write(
        `refguard: no refguard.config.* found: save the config above as refguard.config.json (DATABASE_URL as for Prisma)\n`,
      )
    }
    return EXIT.clean
  }
  const written = options.dryRun ? undefined : await addRelationsToConfig(configFile, imported.relations)
  if (options.json) process.stdout.write(`${JSON.stringify({ ok: true, ...imported, written: written ?? null }, null, 2)}\n`)
  else process.stdout.write(`${formatImport(imported, written)}\n`)
  return EXIT.clean
}

/** `refguard import prisma FILE`: the relations of a Prisma schema, added to the config. */
export function registerImport(program: Command): void {
  withCommonOptions(program.command('import'))
    .description("add the relations of another tool's schema to the config: refguard import prisma prisma/schema.prisma")
    .addArgument(new Argument('<format>', 'the schema format').choices(['prisma']))
    .argument('<file>', 'the schema file, e.g. prisma/schema.prisma')
    .option('--dry-run', 'print the relations without changing the config file')
    .addHelpText(
      'after',
      [
        '',
        "Reads @relation(fields, references, onDelete, onUpdate, map) with Prisma's default actions, implicit many-to-many",
        'join tables (_AToB with columns A and B), @map/@@map/@@schema names; relationMode "prisma" schemas included.',
        'Without a config file it prints a whole one. Exit codes: 0 imported, 2 unreadable or malformed schema (FILE:LINE:COLUMN), config error.',
      ].join('\n'),
    )
    .action(async (_format: 'prisma', file: string, options: ImportCommandOptions) => {
      await runCommand(Boolean(options.json), () => importPrisma(file, options))
    })
}
