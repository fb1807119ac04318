/**
 * sweep.html: a sweep on one self-contained page (inline CSS and SVG, no script, the
 * report's Content-Security-Policy): the recommended point and why (or the nearest miss), the
 * live confirmation, the Pareto front as a scatter of the first two objectives, each
 * parameter's effect on each objective (every point at its worst seed), and the table of
 * every point with the recommended one highlighted; the scenario file at the end. Everything
 * printed goes through handlebars' escaping — the template uses no triple-stash — so a
 * hostile scenario name, SLO or parameter value stays text.
 */
import { readFileSync } from 'node:fs';
import type Handlebars from 'handlebars';
import type { SweepParam, SweepPoint, SweepReport } from '../model/sweep.ts';
import { reportHandlebars } from './html.ts';
import { formatMeasure, pointSettings, roundsNote, seedsNote } from './sweep.ts';
import { SCATTER_COLOURS, scatterChart, type ScatterSeries } from './sweep-chart.ts';

export const SWEEP_TEMPLATE_URL = new URL('./templates/sweep.hbs', import.meta.url);

let compiled: Handlebars.TemplateDelegate | undefined;

const show = (v: unknown) => (v === undefined ? 'on' : typeof v === 'string' ? v : String(v));

/** Where a point sits on a parameter's axis: its number for a range, its index for a list. */
function paramX(p: SweepParam, point: SweepPoint): number | undefined {
  const v = point.settings[p.path];
  if (p.kind === 'range') {
    const n = typeof v === 'number' ? v : Number.parseFloat(String(v));
    return Number.isFinite(n) ? n : undefined;
  }
  const i = p.values.findIndex((x) => x === (v ?? 'on'));
  return i >= 0 ? i : undefined;
}

function groups(r: SweepReport, x: (p: SweepPoint) => number | undefined, y: (p: SweepPoint) => number | null | undefined): ScatterSeries[] {
  const front = new Set(r.front);
  const rec = r.recommended?.point;
  const s: ScatterSeries[] = [
    { name: 'infeasible', colour: SCATTER_COLOURS.infeasible, points: [] },
    { name: 'feasible', colour: SCATTER_COLOURS.feasible, points: [] },
    { name: 'on the front', colour: SCATTER_COLOURS.front, points: [] },
    { name: 'recommended', colour: SCATTER_COLOURS.recommended, points: [] },
  ];
  for (const p of r.points) {
    const xv = x(p);
    const yv = y(p);
    if (xv === undefined || yv === null || yv === undefined) continue;
    const k = p.id === rec ? 3 : front.has(p.id) ? 2 : p.feasible ? 1 : 0;
    s[k]!.points.push({ x: xv, y: yv, title: `#${p.id} ${pointSettings(r, p)}` });
  }
  return s;
}

export function renderSweepHtml(r: SweepReport, scenarioText: string): string {
  compiled ??= reportHandlebars.compile(readFileSync(SWEEP_TEMPLATE_URL, 'utf8'));
  const worstOf = (j: number) => (p: SweepPoint) => p.worst[j] ?? (p.objectives[j]?.median ?? null);
  const o = r.objectives;
  const frontChart =
    o.length >= 2
      ? scatterChart(
          'front',
          `Pareto front: ${o[0]!.name} against ${o[1]!.name}`,
          `Every point at its worst seed; the front's points are those no feasible point beats on every objective.`,
          { label: `${o[0]!.direction} ${o[0]!.name}`, unit: o[0]!.unit },
          { label: `${o[1]!.direction} ${o[1]!.name}`, unit: o[1]!.unit },
          groups(r, (p) => worstOf(0)(p) ?? undefined, worstOf(1)),
        )
      : undefined;
  const effects = r.params.flatMap((param, i) =>
    o.map((ob, j) =>
      scatterChart(
        `effect-${i}-${j}`,
        `${param.path} → ${ob.name}`,
        `Each point's worst-seed ${ob.name} against its ${param.path}.`,
        { label: param.path, unit: param.range?.unit === 'ms' ? 'ms' : param.range?.unit === '%' ? 'pct' : '', ...(param.kind === 'list' && { categories: param.values.map(show) }) },
        { label: ob.name, unit: ob.unit },
        groups(r, (p) => paramX(param, p), worstOf(j)),
      ),
    ),
  );
  const front = new Set(r.front);
  const view = {
    r,
    mode: r.mode === 'sim' ? 'simulated' : 'live',
    aborted: r.status === 'aborted',
    method: r.method.kind === 'grid' ? 'grid' : `random, Latin hypercube (seed ${r.method.seed})`,
    feasible: r.points.filter((p) => p.feasible).length,
    rounds: roundsNote(r),
    runs: `${r.timing.runs}${r.timing.plannedRuns > r.timing.runs ? ` of ${r.timing.plannedRuns} planned` : ''} runs`,
    recommended: r.recommended && { ...r.recommended, settings: pointSettings(r, r.points.find((p) => p.id === r.recommended!.point)!) },
    nearestMiss: r.nearestMiss && (() => {
      const p = r.points.find((x) => x.id === r.nearestMiss!.point)!;
      return { ...r.nearestMiss, settings: pointSettings(r, p), seeds: seedsNote(r, p) };
    })(),
    confirmation: r.confirmation && {
      ...r.confirmation,
      objectives: r.confirmation.objectives.map((c, j) => ({
        ...c,
        live: formatMeasure(c.live, o[j]?.unit ?? ''),
        sim: `${formatMeasure(c.sim?.min, o[j]?.unit ?? '')} – ${formatMeasure(c.sim?.max, o[j]?.unit ?? '')}`,
        tolerance: formatMeasure(c.tolerance, o[j]?.unit ?? ''),
      })),
    },
    frontChart,
    effects,
    params: r.params.map((p) => ({ path: p.path, spec: p.spec, values: p.values.map(show).join(', ') })),
    objectives: o.map((x) => ({ ...x, dir: x.direction === 'min' ? 'minimise' : 'maximise' })),
    slos: r.slos.map((s, k) => ({ ...s, n: k + 1 })),
    rows: r.points.map((p) => ({
      id: p.id,
      recommended: r.recommended?.point === p.id,
      front: front.has(p.id),
      feasible: p.feasible,
      seeds: seedsNote(r, p),
      stoppedEarly: p.stoppedEarly,
      error: p.error,
      settings: r.params.map((x) => show(p.settings[x.path])),
      objectives: o.map((ob, j) => {
        const s = p.objectives[j];
        return { worst: formatMeasure(p.worst[j], ob.unit), range: s ? `${formatMeasure(s.min, ob.unit)}–${formatMeasure(s.max, ob.unit)}` : '' };
      }),
      slos: p.slos.map((s) => ({ passed: s.passed, failed: s.failedSeeds, margin: s.worstRelative === null ? '–' : `${(s.worstRelative * 100).toFixed(0)}%` })),
      amplification: formatMeasure(p.metrics.amplification?.median, 'ratio'),
      p99: formatMeasure(p.metrics.p99?.median, 'ms'),
      cost: formatMeasure(p.metrics.cost?.median, 'count'),
    })),
    scenarioText,
  };
  return compiled(view);
}
