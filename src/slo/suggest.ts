/**
 * "Did you mean" for names: the closest candidate by edit distance, when it is close
 * enough that the name is far more likely a typo than a different thing.
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
 * How many edits still read as a typo of `candidate`: one for short names (`errors`),
 * two for longer ones. More than that and two different names start to look alike.
 */
function tolerance(candidate: string): number {
  return candidate.length <= 6 ? 1 : 2;
}

/**
 * The candidate closest to `name` (case-insensitively) if it is within typo distance,
 * else undefined. Ties go to the earlier candidate, so callers list the likelier first.
 *
 * @example closestName('availabilty', ['requests', 'availability']) // 'availability'
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    const dist = editDistance(lower, c.toLowerCase());
    if (dist <= tolerance(c) && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}
