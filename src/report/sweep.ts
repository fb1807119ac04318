/**
 * A sweep (`SweepReport`, src/model/sweep.ts) for machines and for the console:
 * - sweep.csv: one row per point × seed run (the raw runs), with the point's own columns —
 *   feasible, on the front, recommended, seeds run, why it stopped early — repeated on each of
 *   its rows, so a spreadsheet or pandas can filter either way; a point that stopped at its
 *   first breaching seed has only the rows of the seeds it ran; a point that could not run is
 *   one row with its error.
 * - the console summary: the front, the recommended point and why (or the nearest miss).
 */
import type { SweepPoint, SweepReport, SweepValue } from '../model/sweep.ts';

const show = (v: SweepValue | undefined) => (v === undefined ? 'on' : typeof v === 'string' ? v : String(v));

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(v: unknown): string {
  // 6 significant digits: a margin of 198.17700000000002 is 198.177.
  const s = v === null || v === undefined ? '' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderSweepCsv(r: SweepReport): string {
  const head = [
    'point',
    'seed',
    ...r.params.map((p) => p.path),
    'feasible',
    'front',
    'recommended',
    'seeds_run',
    'stopped_early',
    'seed_passed',
    ...r.slos.flatMap((_, k) => [`slo${k + 1}_passed`, `slo${k + 1}_value`, `slo${k + 1}_margin`]),
    ...r.objectives.map((o) => `objective:${o.name}`),
    'amplification',
    'p50_ms',
    'p95_ms',
    'p99_ms',
    'upstream_requests',
    'cost',
    'wall_ms',
    'error',
  ];
  const rows: unknown[][] = [];
  const front = new Set(r.front);
  for (const p of r.points) {
    const own = [...r.params.map((x) => show(p.settings[x.path])), p.feasible, front.has(p.id), r.recommended?.point === p.id, p.seedsRun, p.stoppedEarly ?? ''];
    if (p.runs.length === 0) {
      rows.push([p.id, '', ...own, '', ...r.slos.flatMap(() => ['', '', '']), ...r.objectives.map(() => ''), '', '', '', '', '', '', '', p.error ?? '']);
      continue;
    }
    for (const run of p.runs) {
      const m = run.metrics;
      rows.push([
        p.id,
        run.seed,
        ...own,
        run.passed,
        ...run.slos.flatMap((s) => [s.passed, s.value, s.margin]),
        ...run.objectives,
        m.amplification,
        m.p50,
        m.p95,
        m.p99,
        m.upstream,
        m.cost,
        Math.round(run.wallMs),
        '',
      ]);
    }
  }
  return [head, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** A value in an objective's unit, short. */
export function formatMeasure(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined) return '–';
  if (unit === 'ms') return v >= 1000 ? `${Number((v / 1000).toPrecision(3))}s` : `${Number(v.toPrecision(3))}ms`;
  if (unit === 'percent') return `${Number((v * 100).toPrecision(4))}%`;
  // A swept percentage as written (`20%` is 20 on the axis).
  if (unit === 'pct') return `${Number(v.toPrecision(4))}%`;
  if (unit === 'per_second') return `${Number(v.toPrecision(3))}/s`;
  return String(Number(v.toPrecision(4)));
}

/** A point's settings in one line: `retry.backoff.jitter=full retry.backoff.base=57.5ms`. */
export function pointSettings(r: SweepReport, p: SweepPoint): string {
  return r.params.map((x) => `${x.path}=${show(p.settings[x.path])}`).join(' ');
}

/** The least relative SLO margin of a point, as a percentage of the threshold (worst seed). */
function leastHeadroom(p: SweepPoint): string {
  const rel = p.slos.map((s) => s.worstRelative).filter((x): x is number => x !== null);
  return rel.length ? `${(Math.min(...rel) * 100).toFixed(0)}%` : '–';
}

/** `1 of 3 seeds` when a point ran fewer than the sweep's seeds, else ''. */
export function seedsNote(r: SweepReport, p: SweepPoint): string {
  return p.error === undefined && p.seedsRun < r.seeds.length ? `${p.seedsRun} of ${r.seeds.length} seeds` : '';
}

/** How the seeds were scheduled, in words. */
export function roundsNote(r: SweepReport): string {
  return r.seedRounds === 'all' ? 'every seed of every point (--all-seeds)' : 'seeds in rounds: a point stops at its first seed that breaches an SLO (--all-seeds runs them all)';
}

/** The console summary. */
export function formatSweepSummary(r: SweepReport, opts: { files?: string[]; color?: boolean } = {}): string {
  const bold = (s: string) => (opts.color ? `\x1b[1m${s}\x1b[0m` : s);
  const feasible = r.points.filter((p) => p.feasible).length;
  const errors = r.points.filter((p) => p.error !== undefined).length;
  const out: string[] = [];
  const how = r.method.kind === 'grid' ? 'grid' : `random (Latin hypercube, seed ${r.method.seed})`;
  out.push(
    bold(`sweep ${r.scenario.name}`) +
      `: ${r.points.length}${r.status === 'aborted' ? ` of ${r.planned}` : ''} points (${how}) × ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'} (${r.seeds.join(', ')}), ${r.mode === 'sim' ? 'simulated' : 'live'}` +
      `${r.status === 'aborted' ? ' — ABORTED, partial' : ''}`,
  );
  const early = r.points.filter((p) => seedsNote(r, p) !== '').length;
  out.push(`  ${roundsNote(r)}`);
  out.push(
    `  ${feasible} feasible (every SLO met on every seed)${errors ? `, ${errors} could not run` : ''}${early ? `, ${early} infeasible after fewer seeds (n of ${r.seeds.length} seeds: their spreads are over the seeds run)` : ''}; objectives: ${r.objectives.map((o) => `${o.direction} ${o.name}`).join(', ')} (each at its worst seed)`,
  );
  if (r.front.length) {
    out.push('', `  Pareto front (${r.front.length} point${r.front.length === 1 ? '' : 's'}):`);
    const rows = r.front.map((id) => {
      const p = r.points.find((x) => x.id === id)!;
      return [r.recommended?.point === id ? '★' : ' ', `#${id}`, pointSettings(r, p), ...r.objectives.map((o, j) => `${o.name} ${formatMeasure(p.worst[j], o.unit)}`), `headroom ${leastHeadroom(p)}`];
    });
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    for (const row of rows) out.push(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());
  }
  if (r.recommended) {
    const p = r.points.find((x) => x.id === r.recommended!.point)!;
    out.push('', bold(`  recommended: #${p.id}  ${pointSettings(r, p)}`), `  why: ${r.recommended.reason}`, `  rule: ${r.recommended.rule}`);
  } else {
    out.push('', bold('  no point is feasible: none met every SLO on every seed'));
    if (r.nearestMiss) {
      const p = r.points.find((x) => x.id === r.nearestMiss!.point)!;
      const note = seedsNote(r, p);
      out.push(`  nearest miss: #${p.id}  ${pointSettings(r, p)}${note ? `  (${note})` : ''}`, `  ${r.nearestMiss.reason}`);
    }
  }
  const c = r.confirmation;
  if (c) {
    out.push('', bold(`  live confirmation of #${c.point} (seed ${c.seed}): ${c.status === 'aborted' ? 'aborted' : c.agreed ? 'live AGREED with the simulation' : 'live DISAGREED with the simulation'}`));
    for (const s of c.slos) out.push(`    ${s.agreed ? '✓' : '✗'} ${s.name}: sim ${s.sim ? 'met' : 'missed'}, live ${s.live ? 'met' : 'missed'}`);
    c.objectives.forEach((o, j) => {
      const unit = r.objectives[j]?.unit ?? '';
      out.push(`    ${o.agreed ? '✓' : '✗'} ${o.name}: live ${formatMeasure(o.live, unit)}, sim ${formatMeasure(o.sim?.min, unit)}–${formatMeasure(o.sim?.max, unit)} ± ${formatMeasure(o.tolerance, unit)}`);
    });
    out.push(`    rule: ${c.rule}`, `    ${c.runDir}`);
  }
  const skipped = r.timing.plannedRuns - r.timing.runs;
  out.push('', `  ${r.timing.runs}${skipped > 0 ? ` of ${r.timing.plannedRuns} planned` : ''} runs${skipped > 0 && r.status !== 'aborted' ? ` (${skipped} skipped: their points had already breached)` : ''} in ${(r.timing.wallMs / 1000).toFixed(1)} s on ${r.timing.workers} worker${r.timing.workers === 1 ? '' : 's'} (${r.timing.msPerRun} ms per run)`);
  for (const f of opts.files ?? []) out.push(`  ${f}`);
  return out.join('\n');
}
