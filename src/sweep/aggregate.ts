/**
 * A point over its seeds: each SLO's worst margin and spread, each objective's and figure's
 * min/median/max, and feasibility (every SLO met on every seed). Pure.
 */
import type { RunMetrics, SloAcrossSeeds, Spread, SweepObjective, SweepPoint, SweepRun, SweepValue } from '../model/sweep.ts';

/** min/median/max of the numbers among `xs` (null if none). */
export function spread(xs: readonly (number | null)[]): Spread | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { min: v[0]!, median, max: v[v.length - 1]! };
}

/**
 * An SLO verdict's margin: how far the value is on the right side of the threshold, in the
 * verdict's unit (negative: short by). `==`/`!=` have no distance: ±0 by the verdict.
 */
export function sloMargin(v: { value: number | null; threshold: number; comparator: string; passed: boolean }): number | null {
  if (v.value === null) return null;
  switch (v.comparator) {
    case '<':
    case '<=':
      return v.threshold - v.value;
    case '>':
    case '>=':
      return v.value - v.threshold;
    default:
      return v.passed ? 0 : -Math.abs(v.value - v.threshold);
  }
}

const METRIC_KEYS: (keyof RunMetrics)[] = ['amplification', 'p50', 'p95', 'p99', 'upstream', 'cost'];

/** One point from its runs; `thresholds` are the scenario's SLOs' (for the relative margin). */
export function aggregatePoint(
  id: number,
  settings: Record<string, SweepValue>,
  runs: SweepRun[],
  objectives: readonly Pick<SweepObjective, 'direction'>[],
  thresholds: readonly number[],
  error?: string,
): SweepPoint {
  const slos: SloAcrossSeeds[] = thresholds.map((threshold, k) => {
    const per = runs.map((r) => r.slos[k]);
    const margins = per.map((s) => s?.margin ?? null);
    const unmeasured = margins.some((m) => m === null);
    const worst = runs.length === 0 || unmeasured ? null : Math.min(...(margins as number[]));
    const values = spread(per.map((s) => s?.value ?? null));
    return {
      passed: runs.length > 0 && per.every((s) => s?.passed === true),
      failedSeeds: per.filter((s) => s?.passed !== true).length,
      worstMargin: worst,
      worstRelative: worst === null || threshold === 0 ? null : worst / Math.abs(threshold),
      valueSpread: values ? values.max - values.min : null,
    };
  });
  const objectiveSpreads = objectives.map((_, k) => spread(runs.map((r) => r.objectives[k] ?? null)));
  // An objective unmeasured on some seed has no guaranteed value.
  const worst = objectives.map((o, k) => {
    const s = objectiveSpreads[k];
    if (!s || runs.some((r) => r.objectives[k] === null)) return null;
    return o.direction === 'min' ? s.max : s.min;
  });
  const metrics = Object.fromEntries(METRIC_KEYS.map((m) => [m, spread(runs.map((r) => r.metrics[m]))])) as SweepPoint['metrics'];
  return {
    id,
    settings,
    runs,
    seedsRun: runs.length,
    ...(error !== undefined && { error }),
    feasible: error === undefined && runs.length > 0 && runs.every((r) => r.passed) && slos.every((s) => s.passed),
    slos,
    objectives: objectiveSpreads,
    worst,
    metrics,
  };
}
