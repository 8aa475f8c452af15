import type { FilterValue, ReferentialAction } from '../model/relation.js'
import type { RelationInput, SideInput } from './types.js'

/** A shorthand relation that does not parse; `column` is 1-based within the string. */
export class ShorthandError extends Error {
  constructor(
    readonly source: string,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`${problem} at column ${column}\n  ${source}\n  ${' '.repeat(column - 1)}^`)
    this.name = 'ShorthandError'
  }
}

type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct' | 'end'

interface Token {
  kind: TokenKind
  text: string
  /** 0-based offset of the token in the source. */
  at: number
}

const PUNCTUATION = ['->', '<>', '!=', '>=', '<=', '(', ')', ',', '.', ':', '=', '<', '>']

/** Reads a quoted identifier or string starting at `start`; a doubled quote stands for one, as in SQL. */
function readQuoted(source: string, start: number): { text: string; end: number } {
  const quote = source[start] as string
  let text = ''
  let i = start + 1
  while (i < source.length) {
    if (source[i] === quote) {
      if (source[i + 1] !== quote) return { text, end: i + 1 }
      i++
    }
    text += source[i]
    i++
  }
  throw new ShorthandError(source, start + 1, `unterminated ${quote} quote`)
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const ch = source[i] as string
    if (/\s/.test(ch)) {
      i++
      continue
    }
    const punct = PUNCTUATION.find((p) => source.startsWith(p, i))
    if (punct) {
      tokens.push({ kind: 'punct', text: punct, at: i })
      i += punct.length
      continue
    }
    if (ch === '"' || ch === '`' || ch === "'") {
      const { text, end } = readQuoted(source, i)
      tokens.push({ kind: ch === "'" ? 'string' : 'quoted', text, at: i })
      i = end
      continue
    }
    const number = /^-?\d+(\.\d+)?/.exec(source.slice(i))
    if (number) {
      tokens.push({ kind: 'number', text: number[0], at: i })
      i += number[0].length
      continue
    }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(source.slice(i))
    if (!word) throw new ShorthandError(source, i + 1, `unexpected character '${ch}'`)
    tokens.push({ kind: 'word', text: word[0], at: i })
    i += word[0].length
  }
  tokens.push({ kind: 'end', text: 'end of text', at: source.length })
  return tokens
}

const SHAPE =
  "child(col, ...) -> parent(col, ...) [on delete ACTION] [on update ACTION] [match simple|full] [mode inline|queued|scheduled] [deferrable [initially deferred]] [where col = 'value']"

class ShorthandParser {
  private position = 0
  private readonly tokens: Token[]

  constructor(private readonly source: string) {
    this.tokens = tokenize(source)
  }

  parse(): RelationInput {
    const relation: Partial<RelationInput> = {}
    if (this.acceptKeyword('constraint')) relation.name = this.identifier('a relation name after "constraint"')
    relation.child = this.side('the child table')
    this.expectPunct('->', `"->" between child and parent (expected shape: ${SHAPE})`)
    relation.parent = this.side('the parent table')
    while (this.peek().kind !== 'end') this.clause(relation)
    return relation as RelationInput
  }

  private clause(relation: Partial<RelationInput>): void {
    const token = this.peek()
    if (this.acceptKeyword('on')) {
      const event = this.keyword(['delete', 'update'])
      const setting = event === 'delete' ? 'onDelete' : 'onUpdate'
      if (relation[setting]) this.fail(token, `"on ${event}" given twice`)
      const { action, columns } = this.action()
      relation[setting] = action
      if (columns) {
        if (event === 'update') this.fail(token, 'a column list is only allowed with ON DELETE SET NULL/SET DEFAULT')
        relation.onDeleteSetColumns = columns
      }
    } else if (this.acceptKeyword('match')) {
      relation.match = this.keyword(['simple', 'full']) as RelationInput['match']
    } else if (this.acceptKeyword('mode')) {
      relation.mode = this.keyword(['inline', 'queued', 'scheduled']) as RelationInput['mode']
    } else if (this.acceptKeyword('not')) {
      this.keyword(['deferrable'])
      relation.deferrable = false
    } else if (this.acceptKeyword('deferrable')) {
      relation.deferrable = true
    } else if (this.acceptKeyword('initially')) {
      relation.initiallyDeferred = this.keyword(['deferred', 'immediate']) === 'deferred'
    } else if (this.acceptKeyword('where')) {
      relation.child = { ...(relation.child as SideInput), where: this.filter() }
    } else {
      this.fail(token, `expected "on delete", "on update", "match", "mode", "deferrable", "initially" or "where", found ${describe(token)}`)
    }
  }

  private action(): { action: ReferentialAction; columns?: string[] } {
    const word = this.keyword(['cascade', 'restrict', 'no', 'set'])
    if (word === 'cascade' || word === 'restrict') return { action: word }
    if (word === 'no') {
      this.keyword(['action'])
      return { action: 'no action' }
    }
    const action = `set ${this.keyword(['null', 'default'])}` as ReferentialAction
    if (this.peek().text !== '(') return { action }
    return { action, columns: this.columnList() }
  }

  private filter(): Record<string, FilterValue> {
    const filter: Record<string, FilterValue> = {}
    do {
      const column = this.identifier('a column name in "where"')
      this.expectPunct('=', '"=" (the where filter only supports equality)')
      filter[column] = this.literal()
    } while (this.acceptKeyword('and'))
    return filter
  }

  private literal(): FilterValue {
    const token = this.next()
    if (token.kind === 'string') return token.text
    if (token.kind === 'number') return Number(token.text)
    if (token.kind === 'word') {
      const lower = token.text.toLowerCase()
      if (lower === 'null') return null
      if (lower === 'true' || lower === 'false') return lower === 'true'
    }
    return this.fail(token, `expected a literal ('text', a number, true, false or null), found ${describe(token)}`)
  }

  private side(what: string): SideInput {
    const first = this.identifier(what)
    let database: string | undefined
    let names = [first]
    if (this.acceptPunct(':')) {
      database = first
      names = [this.identifier(what)]
    }
    while (this.acceptPunct('.')) {
      if (names.length === 2) this.fail(this.peek(), `too many name parts after ${names.join('.')}: use [database:][schema.]table`)
      names.push(this.identifier(what))
    }
    const side: SideInput = { table: names[names.length - 1] as string, columns: this.columnList() }
    if (names.length === 2) side.schema = names[0]
    if (database) side.database = database
    return side
  }

  private columnList(): string[] {
    this.expectPunct('(', '"(" and a column list')
    const columns = [this.identifier('a column name')]
    while (this.acceptPunct(',')) columns.push(this.identifier('a column name'))
    this.expectPunct(')', '")" or "," in the column list')
    return columns
  }

  private identifier(what: string): string {
    const token = this.next()
    if (token.kind === 'word' || token.kind === 'quoted') return token.text
    return this.fail(token, `expected ${what}, found ${describe(token)}`)
  }

  private keyword(options: string[]): string {
    const token = this.next()
    const lower = token.text.toLowerCase()
    if (token.kind === 'word' && options.includes(lower)) return lower
    return this.fail(token, `expected ${options.map((o) => `"${o}"`).join(' or ')}, found ${describe(token)}`)
  }

  private acceptKeyword(word: string): boolean {
    const token = this.peek()
    if (token.kind !== 'word' || token.text.toLowerCase() !== word) return false
    this.position++
    return true
  }

  private acceptPunct(text: string): boolean {
    if (this.peek().kind !== 'punct' || this.peek().text !== text) return false
    this.position++
    return true
  }

  private expectPunct(text: string, what: string): void {
    const token = this.peek()
    if (!this.acceptPunct(text)) this.fail(token, `expected ${what}, found ${describe(token)}`)
  }

  private peek(): Token {
    return this.tokens[this.position] as Token
  }

  private next(): Token {
    const token = this.peek()
    if (token.kind !== 'end') this.position++
    return token
  }

  private fail(token: Token, problem: string): never {
    throw new ShorthandError(this.source, token.at + 1, problem)
  }
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'the end of the text'
  if (token.kind === 'string') return `'${token.text}'`
  return `"${token.text}"`
}

/** Parses `'steps(recipe_id) -> recipes(id) on delete cascade'` into the long relation form. */
export function parseRelationShorthand(source: string): RelationInput {
  return new ShorthandParser(source).parse()
}
