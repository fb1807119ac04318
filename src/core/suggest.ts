/**
 * "Did you mean": the one helper every layer uses for misspelt keys, names and metrics — the
 * closest candidate by edit distance, when it is close enough that the word is far more
 * likely a typo than a different thing.
 */

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`latnecy` is one edit from `latency`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * How many edits still read as a typo: one for short names (`errors`), two for longer ones,
 * and up to a third of a long word (`retrys` → `retries`, but not `foo` → `seed`).
 */
function tolerance(word: string, candidate: string): number {
  return Math.max(candidate.length <= 6 ? 1 : 2, Math.floor(word.length / 3));
}

/**
 * The candidate closest to `word` (case-insensitively) if it is within typo distance, else
 * undefined. Ties go to the earlier candidate, so callers list the likelier first.
 *
 * @example closest('availabilty', ['requests', 'availability']) // 'availability'
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  // Nobody misspells a 100-character word; and a 1 MB key must not cost seconds of edit distance.
  if (word.length > 64) return undefined;
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = editDistance(lower, c.toLowerCase());
    if (dist <= tolerance(word, c) && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}
