/** How long to wait between attempts: doubling from `baseMs`, never above `maxMs`. */
export interface BackoffPolicy {
  baseMs: number
  maxMs: number
}

/** Reconnecting to a broker: quick first retries for a blip, a 5 s ceiling for a long outage. */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 5_000 }

/** Handing a failed message back: a pause first, so a failing handler does not spin on one message. */
export const REDELIVERY_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000 }

/** The delay before attempt `attempt` (1-based) under `policy`. */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1))
}

/** Half the delay fixed, half random, so workers that lost the broker together do not return together. */
export function withJitter(delayMs: number): number {
  return Math.round(delayMs / 2 + (Math.random() * delayMs) / 2)
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}
