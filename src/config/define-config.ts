import type { RefguardConfig } from './types.js'

/** Identity function that gives a config file type checking and editor completion. */
export function defineConfig(config: RefguardConfig): RefguardConfig {
  return config
}
