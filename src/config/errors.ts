/** A config that cannot be used; names the file, the path inside it, what is wrong and how to fix it. */
export class ConfigError extends Error {
  constructor(
    readonly problem: string,
    readonly details: { file?: string; path?: string; fix?: string } = {},
  ) {
    super(formatConfigError(problem, details))
    this.name = 'ConfigError'
  }
}

function formatConfigError(problem: string, details: { file?: string; path?: string; fix?: string }): string {
  const where = [details.file, details.path].filter(Boolean).join(': ')
  const head = where ? `${where}: ${problem}` : problem
  return details.fix ? `${head}\n  fix: ${details.fix}` : head
}
