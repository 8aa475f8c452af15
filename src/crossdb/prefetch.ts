/**
 * Reads one item ahead of its consumer: the next page's query runs while the current page is merged, so the
 * databases and the merge work at the same time. Holds at most one page beyond the consumer's.
 */
export async function* prefetched<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next()
  try {
    for (;;) {
      const result = await next
      if (result.done) return
      next = source.next()
      // Handled when awaited on the next turn; until then a failure must not count as unhandled.
      next.catch(() => {})
      yield result.value
    }
  } finally {
    await next.catch(() => {})
    await source.return(undefined)
  }
}
