import type { Schema } from '@mrleebo/prisma-ast'
import { PrismaSchemaError, positionAt, type SourcePosition } from './errors.js'

const FIX = 'correct the schema at that place (`npx prisma validate` reports the same file), then run again'

/** What chevrotain's lexer and parser say about a token. */
interface Token {
  image: string
  startOffset: number
  endOffset?: number
  startLine?: number
  startColumn?: number
}

interface RecognitionError extends Error {
  token: Token
  previousToken?: Token
  context?: { ruleStack?: string[] }
}

/** What is wrong, and where. */
interface Located {
  position: SourcePosition
  problem: string
}

const RULES: Record<string, string> = {
  field: 'a field',
  fieldAttribute: 'a field attribute',
  blockAttribute: 'a block attribute',
  attributeArg: 'an attribute argument',
  array: 'a list',
  func: 'a function call',
  assignment: 'a setting',
  enum: 'an enum',
  block: 'a block',
}

function describeToken(token: Token): string {
  if (token.startLine === undefined || Number.isNaN(token.startOffset)) return 'the end of the file'
  if (/^\r?\n$/.test(token.image)) return 'the end of the line'
  return `'${token.image}'`
}

/** The first character no token covers: a character the Prisma lexer does not know, such as an unterminated string. */
function lexicalError(source: string, tokens: Token[]): Located | undefined {
  let offset = 0
  const sorted = [...tokens].sort((a, b) => a.startOffset - b.startOffset)
  for (const token of [...sorted, { image: '', startOffset: source.length }]) {
    const gap = source.slice(offset, token.startOffset)
    const stray = /\S/.exec(gap)
    if (stray) {
      const at = offset + stray.index
      const problem =
        source[at] === '"' ? 'unterminated string: a string must close with " on the same line' : `unexpected character '${source[at]}'`
      return { position: positionAt(source, at), problem }
    }
    offset = Math.max(offset, (token.endOffset ?? token.startOffset - 1) + 1)
  }
  return undefined
}

function syntaxError(source: string, error: RecognitionError): Located {
  const { token } = error
  const atEnd = token.startLine === undefined || Number.isNaN(token.startOffset)
  const position = atEnd ? positionAt(source, source.length) : { line: token.startLine as number, column: token.startColumn as number }
  const expected = /Expecting --> (.*?) <--/s.exec(error.message)?.[1]
  const rule = [...(error.context?.ruleStack ?? [])].reverse().find((name) => RULES[name])
  const where = rule ? ` in ${RULES[rule]}` : ''
  const found = describeToken(token)
  const problem =
    error.name === 'NotAllInputParsedException'
      ? `unexpected ${found} after the last block`
      : expected
        ? `expected ${expected.replace(/\n/g, 'the end of the line')} but found ${found}${where}`
        : `unexpected ${found}${where}`
  return { position, problem }
}

/** Parses schema.prisma text with @mrleebo/prisma-ast (offline, pure JS); errors give the line and column. */
export async function parsePrismaSource(source: string, file: string): Promise<Schema> {
  const { getSchema, PrismaParser, VisitorClassFactory } = await import('@mrleebo/prisma-ast')
  const parser = new PrismaParser({ nodeLocationTracking: 'full' })
  const Visitor = VisitorClassFactory(parser)
  let parsed: Schema | undefined
  let failure: unknown
  try {
    parsed = getSchema(source, { parser, visitor: new Visitor() })
  } catch (error) {
    failure = error
  }
  const problem =
    lexicalError(source, parser.input as unknown as Token[]) ??
    (failure && (failure as RecognitionError).token ? syntaxError(source, failure as RecognitionError) : undefined)
  if (problem) throw new PrismaSchemaError(file, problem.position, problem.problem, FIX)
  if (failure) throw failure
  return parsed as Schema
}
