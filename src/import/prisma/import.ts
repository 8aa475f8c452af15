import { readFileSync } from 'node:fs'
import type { RelationInput } from '../../config/types.js'
import { UsageError } from '../../errors.js'
import { PrismaSchemaError } from './errors.js'
import { parsePrismaSource } from './parse.js'
import { relationsOfDocument } from './relations.js'
import { readPrismaDocument } from './schema-model.js'

/** The relations of a schema.prisma, and what its datasource says about them. */
export interface PrismaImport {
  file: string
  provider?: string
  /** `prisma`: no FOREIGN KEYs in the database (PlanetScale); `foreignKeys`: the database declares them too. */
  relationMode: 'prisma' | 'foreignKeys'
  relations: RelationInput[]
  notes: string[]
}

function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    throw new UsageError(
      `cannot read ${file}: ${reason}`,
      'give the path of a schema.prisma file, e.g. refguard import prisma prisma/schema.prisma',
    )
  }
}

/** Parses schema.prisma text into relations: @relation(fields, references, onDelete, onUpdate, map), implicit many-to-many join tables, @map/@@map/@@schema names. */
export async function relationsFromPrismaSource(source: string, file: string): Promise<PrismaImport> {
  const document = readPrismaDocument(await parsePrismaSource(source, file), file)
  if (document.provider === 'mongodb') {
    throw new PrismaSchemaError(
      file,
      { line: 1, column: 1 },
      'the datasource is MongoDB, which has no tables or foreign keys',
      'import a schema whose provider is postgresql, mysql or cockroachdb',
    )
  }
  const notes =
    document.relationMode === 'foreignKeys'
      ? [
          'relationMode is "foreignKeys" (Prisma\'s default): the database declares these relations as FOREIGN KEYs too, so check reports each as duplicate-constraint; refguard migrate to-soft moves them from the database into the config instead',
        ]
      : []
  return {
    file,
    ...(document.provider ? { provider: document.provider } : {}),
    relationMode: document.relationMode,
    relations: relationsOfDocument(document),
    notes,
  }
}

/** Reads a schema.prisma file and returns its relations (see relationsFromPrismaSource). */
export async function importPrismaSchema(file: string): Promise<PrismaImport> {
  return relationsFromPrismaSource(readSource(file), file)
}
