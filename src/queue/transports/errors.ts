/** A broker that cannot be reached or used; names the broker URL (never its password) and the fix. */
export class TransportError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${problem}\n  fix: ${fix}`, options)
    this.name = 'TransportError'
  }
}

export type BrokerName = 'RabbitMQ' | 'NATS'

/** The URL as it may appear in a message or a log: the password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (!parsed.password) return url
    parsed.password = '***'
    return parsed.toString()
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')
  }
}

/** The message of any thrown value, for wrapping into a TransportError. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/** Translates a client's failure to reach a broker into a TransportError that says what to do. */
export function connectFailure(broker: BrokerName, url: string, error: unknown): TransportError {
  const code = errorCode(error)
  const message = errorMessage(error)
  const fail = (reason: string, fix: string) =>
    new TransportError(`cannot connect to ${broker} at ${redactUrl(url)}: ${reason}`, fix, { cause: error })
  if (code === 'ECONNREFUSED' || code === 'CONNECTION_REFUSED') {
    return fail('connection refused', `start ${broker}, or correct the host and port in the URL`)
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return fail(`host "${hostOf(url)}" not found`, 'correct the host name in the URL')
  }
  if (code === 'ETIMEDOUT' || code === 'CONNECTION_TIMEOUT' || /timed? ?out/i.test(message)) {
    return fail('timed out', 'check that the host is reachable and the port is open')
  }
  if (code === 'AUTHORIZATION_VIOLATION' || /ACCESS.REFUSED|authori[sz]ation|authentication/i.test(message)) {
    return fail('authentication failed (wrong user or password)', 'correct the user and password in the URL')
  }
  return fail(redactSecret(message, url), `check the URL and that ${broker} accepts connections`)
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname
  } catch {
    return url
  }
}

function redactSecret(message: string, url: string): string {
  try {
    const password = new URL(url).password
    return password ? message.split(decodeURIComponent(password)).join('***') : message
  } catch {
    return message
  }
}
