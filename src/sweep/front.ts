/**
 * The Pareto front over the objectives among feasible points, the recommended point on it,
 * and the nearest miss when nothing is feasible. Pure.
 *
 * Each point is compared by its worst seed (`SweepPoint.worst`): what it guarantees over the
 * seeds tried, so a lucky seed cannot put a point on the front.
 *
 * The recommendation rule (several objectives): the knee — each objective scaled to the
 * front's own range (0 the front's best, 1 its worst), the point nearest the ideal corner
 * where every objective is at its best (Euclidean); ties go to the larger least relative SLO
 * margin, then the lower point id. Why this rule: it needs no weights from the user, it is
 * invariant to units (ms against a ratio), and it avoids the front's ends, where one
 * objective is bought at a steep price in the others. With one objective: the best value;
 * ties to the larger least SLO margin.
 */
import { formatDuration } from '../core/units.ts';
import type { SweepObjective, SweepPoint } from '../model/sweep.ts';

type Dir = Pick<SweepObjective, 'direction'>;

/** Whether `a` dominates `b`: no worse on every objective and better on one (directions applied). */
export function dominates(a: readonly number[], b: readonly number[], dirs: readonly Dir[]): boolean {
  let better = false;
  for (let j = 0; j < dirs.length; j++) {
    const s = dirs[j]!.direction === 'min' ? 1 : -1;
    const d = s * (a[j]! - b[j]!);
    if (d > 0) return false;
    if (d < 0) better = true;
  }
  return better;
}

/** Indices into `values` of the non-dominated vectors (duplicates all kept), in input order. */
export function paretoIndices(values: readonly (readonly number[])[], dirs: readonly Dir[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    let dominated = false;
    for (let k = 0; k < values.length && !dominated; k++) if (k !== i && dominates(values[k]!, values[i]!, dirs)) dominated = true;
    if (!dominated) out.push(i);
  }
  return out;
}

/** The points a front is drawn from: feasible, every objective measured. */
export function candidates(points: readonly SweepPoint[]): SweepPoint[] {
  return points.filter((p) => p.feasible && p.worst.every((v) => v !== null));
}

/** The ids of the front, sorted by the first objective (best first), then id. */
export function paretoFront(points: readonly SweepPoint[], objectives: readonly Dir[]): number[] {
  const c = candidates(points);
  const front = paretoIndices(
    c.map((p) => p.worst as number[]),
    objectives,
  ).map((i) => c[i]!);
  const s = objectives[0]?.direction === 'max' ? -1 : 1;
  return front.sort((a, b) => s * (a.worst[0]! - b.worst[0]!) || a.id - b.id).map((p) => p.id);
}

/** The least relative SLO margin of a point (−∞ when some SLO is unmeasured or has a zero threshold and failed). */
export function leastMargin(p: SweepPoint): number {
  let m = Infinity;
  for (const s of p.slos) {
    const r = s.worstRelative ?? (s.worstMargin === null ? -Infinity : s.worstMargin >= 0 ? Infinity : -Infinity);
    m = Math.min(m, r);
  }
  return m;
}

/** Scales each objective to the front's range: 0 its best, 1 its worst (0 when all equal). */
function scaled(front: readonly SweepPoint[], objectives: readonly Dir[]): number[][] {
  return front.map((p) =>
    objectives.map((o, j) => {
      const vs = front.map((q) => q.worst[j]!);
      const best = o.direction === 'min' ? Math.min(...vs) : Math.max(...vs);
      const worst = o.direction === 'min' ? Math.max(...vs) : Math.min(...vs);
      return worst === best ? 0 : (p.worst[j]! - best) / (worst - best);
    }),
  );
}

export const KNEE_RULE =
  'the knee of the front: each objective scaled to the front’s range (0 its best, 1 its worst), the point nearest the corner where all are at their best; ties to the larger least SLO margin';
export const SINGLE_RULE = 'the best worst-seed value of the objective; ties to the larger least SLO margin';

/** The recommended point among the front's (`front`: ids), or undefined when the front is empty. */
export function recommend(points: readonly SweepPoint[], front: readonly number[], objectives: readonly SweepObjective[]): { point: number; rule: string; reason: string } | undefined {
  const fp = front.map((id) => points.find((p) => p.id === id)!);
  if (fp.length === 0) return undefined;
  const sc = scaled(fp, objectives);
  const score = (i: number) => Math.hypot(...sc[i]!);
  let best = 0;
  for (let i = 1; i < fp.length; i++) {
    const d = score(i) - score(best);
    if (d < -1e-12 || (Math.abs(d) <= 1e-12 && (leastMargin(fp[i]!) > leastMargin(fp[best]!) || (leastMargin(fp[i]!) === leastMargin(fp[best]!) && fp[i]!.id < fp[best]!.id)))) best = i;
  }
  const p = fp[best]!;
  const rule = objectives.length === 1 ? SINGLE_RULE : KNEE_RULE;
  return { point: p.id, rule, reason: explain(p, fp, objectives) };
}

/** The reason in words: each objective against the front's best, and the SLO headroom of the worst seed. */
function explain(p: SweepPoint, front: readonly SweepPoint[], objectives: readonly SweepObjective[]): string {
  const parts: string[] = [];
  objectives.forEach((o, j) => {
    const vs = front.map((q) => q.worst[j]!);
    const bestV = o.direction === 'min' ? Math.min(...vs) : Math.max(...vs);
    const v = p.worst[j]!;
    const name = o.name;
    if (v === bestV) parts.push(`${name} ${formatValue(v, o.unit)}, the front's best`);
    else {
      const pct = bestV === 0 ? undefined : Math.abs((v - bestV) / bestV) * 100;
      parts.push(`${name} ${formatValue(v, o.unit)}${pct === undefined ? '' : `, within ${pct.toFixed(pct < 10 ? 1 : 0)} % of`} the front's best (${formatValue(bestV, o.unit)})`);
    }
  });
  // Against the point best on the first objective: what the recommendation saves on the others.
  if (objectives.length > 1 && front.length > 1) {
    const first = front[0]!;
    if (first.id !== p.id) {
      const saves = objectives.slice(1).flatMap((o, k) => {
        const j = k + 1;
        const a = first.worst[j]!;
        const b = p.worst[j]!;
        if (a === 0 || a === b) return [];
        const better = o.direction === 'min' ? b < a : b > a;
        const pct = Math.abs((b - a) / a) * 100;
        return better ? [`${pct.toFixed(pct < 10 ? 1 : 0)} % ${o.direction === 'min' ? 'less' : 'more'} ${o.name}`] : [];
      });
      if (saves.length) parts.push(`against the front's best ${objectives[0]!.name} (point ${first.id}): ${saves.join(', ')}`);
    }
  }
  const n = p.slos.length;
  const runs = p.runs.length;
  const least = leastMargin(p);
  const headroom = Number.isFinite(least) ? `; least headroom ${(least * 100).toFixed(0)} % of its threshold` : '';
  parts.push(`the worst of ${runs} seed${runs === 1 ? '' : 's'} still meets all ${n} SLO${n === 1 ? '' : 's'}${headroom}`);
  return parts.join('; ');
}

/**
 * When no point is feasible: the fewest failed seed × SLO verdicts, then the largest least
 * margin — over the seeds each point ran (`seeds`: the sweep's count; with seeds in rounds a
 * point stops at its first breaching seed, and the reason says how many it ran).
 */
export function nearestMiss(points: readonly SweepPoint[], seeds?: number): { point: number; reason: string } | undefined {
  const tried = points.filter((p) => p.runs.length > 0 && p.error === undefined);
  if (tried.length === 0) return undefined;
  const failures = (p: SweepPoint) => p.slos.reduce((n, s) => n + s.failedSeeds, 0);
  const best = [...tried].sort((a, b) => failures(a) - failures(b) || leastMargin(b) - leastMargin(a) || a.id - b.id)[0]!;
  const missed = best.slos.map((s, k) => ({ s, k })).filter((x) => !x.s.passed);
  const words = missed.map((x) => `SLO ${x.k + 1} failed on ${x.s.failedSeeds} of ${best.runs.length} seeds${x.s.worstRelative !== null ? ` (worst short by ${Math.abs(x.s.worstRelative * 100).toFixed(0)} % of its threshold)` : ''}`);
  const ran = seeds !== undefined && best.runs.length < seeds ? ` (from the ${best.runs.length} of ${seeds} seeds run: ${best.stoppedEarly ?? 'stopped early'}, so the later seeds were not run)` : '';
  return { point: best.id, reason: `the fewest failed verdicts: ${words.join('; ')}${ran}` };
}

/** A value in its unit, for the screen and the reason. */
export function formatValue(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined) return '–';
  switch (unit) {
    case 'ms':
      return formatDuration(Number(v.toPrecision(4)));
    case 'percent':
      return `${Number((v * 100).toPrecision(4))} %`;
    case 'per_second':
      return `${Number(v.toPrecision(4))}/s`;
    default:
      return String(Number(v.toPrecision(4)));
  }
}
