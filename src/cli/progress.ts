import type { ScanProgress } from '../audit/scan.js'

/** Redraws at most this often. */
const REDRAW_MS = 100
const BAR_WIDTH = 20

function seconds(ms: number): string {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

/**
 * A one-line progress bar for chunked scans on a terminal (rows/s and ETA per relation); a no-op when the
 * stream is not a TTY, so pipes and CI logs stay clean.
 */
export function progressBar(stream: NodeJS.WriteStream): { update: (progress: ScanProgress) => void; clear: () => void } {
  if (!stream.isTTY) return { update: () => {}, clear: () => {} }
  let relation = ''
  let startedAt = 0
  let drawnAt = 0
  let drawn = false
  return {
    update(progress) {
      const now = performance.now()
      if (progress.relation !== relation) {
        relation = progress.relation
        startedAt = now
      }
      if (now - drawnAt < REDRAW_MS && progress.fraction !== 1) return
      drawnAt = now
      const elapsed = Math.max(1, now - startedAt)
      const rate = Math.round((progress.rows * 1000) / elapsed)
      const fraction = progress.fraction
      const bar =
        fraction === undefined
          ? ''
          : `[${'#'.repeat(Math.round(fraction * BAR_WIDTH)).padEnd(BAR_WIDTH, '-')}] ${Math.floor(fraction * 100)}% `
      const eta = fraction && fraction < 1 ? ` ETA ${seconds((elapsed * (1 - fraction)) / fraction)}` : ''
      const line = `${relation.slice(0, 30)} ${bar}${progress.rows.toLocaleString('en-US')} rows ${rate.toLocaleString('en-US')} rows/s${eta}`
      stream.write(`\r\u001b[2K${line.slice(0, (stream.columns || 100) - 1)}`)
      drawn = true
    },
    clear() {
      if (drawn) stream.write('\r\u001b[2K')
      drawn = false
    },
  }
}
