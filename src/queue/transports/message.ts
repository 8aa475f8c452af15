import type { JobMessage } from './transport.js'

/** A job message as it travels: JSON, so other tools can read and publish it. */
export function encodeJobMessage(message: JobMessage): Buffer {
  return Buffer.from(JSON.stringify({ jobId: message.jobId }))
}

/** The job message in `body`, or undefined when it is not one (such a message is dropped, never retried). */
export function decodeJobMessage(body: Uint8Array): JobMessage | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(body).toString('utf8'))
    const jobId = (value as { jobId?: unknown } | null)?.jobId
    return typeof jobId === 'string' && jobId !== '' ? { jobId } : undefined
  } catch {
    return undefined
  }
}
