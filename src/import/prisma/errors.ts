import { UsageError } from '../../errors.js'

/** A place in a schema file, 1-based like editors show it. */
export interface SourcePosition {
  line: number
  column: number
}

/** A schema.prisma that cannot be read or makes no sense; the message starts with `FILE:LINE:COLUMN`. */
export class PrismaSchemaError extends UsageError {
  constructor(
    readonly file: string,
    readonly position: SourcePosition,
    readonly problem: string,
    fix: string,
  ) {
    super(`${file}:${position.line}:${position.column}: ${problem}`, fix)
    this.name = 'PrismaSchemaError'
  }
}

/** The line and column of a character offset. */
export function positionAt(source: string, offset: number): SourcePosition {
  const before = source.slice(0, offset).split(/\r?\n/)
  return { line: before.length, column: (before[before.length - 1] as string).length + 1 }
}
