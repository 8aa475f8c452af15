function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution))
    }
    previous = current
  }
  return previous[b.length] as number
}

/** The candidate closest to `name` (case-insensitive), if it is close enough to be a likely typo. */
export function closestMatch(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const [a, b] = [name.toLowerCase(), candidate.toLowerCase()]
    // A missing or extra suffix such as `_id` is a likely slip even when longer than two characters.
    const distance = a.length > 2 && (b.startsWith(a) || a.startsWith(b)) ? 1 : editDistance(a, b)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

/** ` (did you mean "x"?)` or an empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const match = closestMatch(name, candidates)
  return match ? ` (did you mean "${match}"?)` : ''
}
