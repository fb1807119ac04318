/**
 * Prometheus histogram buckets read as percentiles: the collector's per-second series of a
 * histogram the scenario names, and the report's summary of the router's final histograms,
 * read the one definition.
 */

/** A quantile (0–1) from cumulative histogram bucket counts, interpolated inside the bucket as Prometheus' histogram_quantile does; null with no observations. */
export function bucketQuantile(buckets: readonly { le: number; count: number }[], q: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      // Past the last finite bound nothing is known but the bound itself.
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

