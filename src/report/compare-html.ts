/**
 * compare.html: a candidate run against its baseline on one self-contained page (inline CSS
 * and SVG, no script, a Content-Security-Policy that allows nothing else): the gate's
 * verdict, a row per metric (test, samples, effect, p-value, confidence), the two runs'
 * latency CDFs overlaid (log-scaled tail), their per-second p99 and error rates overlaid, and
 * what the tests assume. Everything printed goes through handlebars' escaping (no triple-stash).
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { Comparison, ComparisonTrace } from '../model/comparison.ts';

export const COMPARE_TEMPLATE_URL = new URL('./templates/compare.hbs', import.meta.url);

let compiled: Handlebars.TemplateDelegate | undefined;

const W = 560;
const H = 220;
const PAD = { left: 52, right: 12, top: 10, bottom: 30 };

interface Axis {
  ticks: { at: number; label: string }[];
}

interface Chart {
  title: string;
  caption: string;
  baseline: string;
  candidate: string;
  x: Axis;
  y: Axis;
  width: number;
  height: number;
  plot: { x: number; y: number; w: number; h: number };
  plotRight: number;
}

/** The comparison page. `links` are relative paths to the two runs' reports, when known. */
export function renderCompareHtml(c: Comparison, links: { baseline?: string; candidate?: string } = {}): string {
  compiled ??= Handlebars.create().compile(readFileSync(COMPARE_TEMPLATE_URL, 'utf8'));
  const level = pct(c.confidence);
  const view = {
    c,
    level,
    alpha: Math.round((1 - c.confidence) * 10000) / 10000,
    worse: c.worse,
    worseEffects: c.metrics.filter((m) => m.verdict === 'worse').map((m) => `${m.label}: ${m.effect}`),
    links,
    rows: c.metrics.map((m) => ({
      ...m,
      verdictWords: m.verdict === 'worse' ? 'worse' : m.verdict === 'better' ? 'better' : 'not worse',
      cls: m.verdict === 'worse' ? 'bad' : m.verdict === 'better' ? 'ok' : '',
      p: fmtP(m.p),
      pAdjusted: fmtP(m.pAdjusted),
      interval: m.interval && Number.isFinite(m.interval[0]) ? `[${signedMs(m.interval[0])}, ${signedMs(m.interval[1])}] at ${level}` : undefined,
      n: `${m.n.baseline} / ${m.n.candidate}${m.n.blocks !== undefined ? ` (${m.n.blocks} blocks)` : ''}`,
    })),
    charts: [cdfChart(c.traces.baseline, c.traces.candidate), seriesChart('p99 latency per second', 'ms', c.traces.baseline, c.traces.candidate, (t) => t.p99), seriesChart('error rate per second', '%', c.traces.baseline, c.traces.candidate, (t) => t.errorRate.map((v) => (v === null ? null : v * 100)))],
  };
  return compiled(view);
}

/**
 * The CDFs with the y axis as "nines" (−log10(1 − F)), so p50, p90, p99 and p99.9 are evenly
 * spaced: a tail regression is as visible as a shift of the median.
 */
function cdfChart(b: ComparisonTrace, c: ComparisonTrace): Chart {
  const nines = (f: number) => Math.min(4, -Math.log10(Math.max(1e-4, 1 - f)));
  const maxX = Math.max(...b.cdf.map((p) => p[0]), ...c.cdf.map((p) => p[0]), 1);
  const line = (pts: [number, number][]) => polyline(pts.map(([x, f]) => [x, nines(f)]), [0, maxX], [0, 4]);
  return frame('latency CDF', 'share of requests at or below a latency; the y axis spaced by nines so the tail reads as well as the median', line(b.cdf), line(c.cdf), ticks(0, maxX, (v) => `${round(v)} ms`), [0, 1, 2, 3, 4].map((k) => ({ at: k / 4, label: ['p0', 'p90', 'p99', 'p99.9', 'p99.99'][k] })));
}

function seriesChart(title: string, unit: string, b: ComparisonTrace, c: ComparisonTrace, pick: (t: ComparisonTrace) => (number | null)[]): Chart {
  const vb = pick(b);
  const vc = pick(c);
  const maxT = Math.max(b.t.at(-1) ?? 0, c.t.at(-1) ?? 0, 1);
  const maxY = Math.max(...vb.map((v) => v ?? 0), ...vc.map((v) => v ?? 0)) || 1;
  const pts = (t: number[], v: (number | null)[]) => t.flatMap((x, i) => (v[i] === null ? [] : [[x, v[i]!] as [number, number]]));
  const y = ticks(0, maxY, (v) => `${round(v)}${unit === '%' ? ' %' : ' ms'}`);
  return frame(title, `per second of due time; ${unit === '%' ? 'failed requests / requests' : 'the 99th percentile of the requests due in that second'}`, polyline(pts(b.t, vb), [0, maxT], [0, maxY]), polyline(pts(c.t, vc), [0, maxT], [0, maxY]), ticks(0, maxT, (v) => `${round(v)} s`), y.ticks.map((t) => ({ at: t.at, label: t.label })));
}

function frame(title: string, caption: string, baseline: string, candidate: string, x: Axis, yTicks: { at: number; label: string }[]): Chart {
  const plot = { x: PAD.left, y: PAD.top, w: W - PAD.left - PAD.right, h: H - PAD.top - PAD.bottom };
  return {
    title,
    caption,
    baseline,
    candidate,
    width: W,
    height: H,
    plot,
    plotRight: plot.x + plot.w,
    x: { ticks: x.ticks.map((t) => ({ ...t, at: round2(plot.x + t.at * plot.w) })) },
    y: { ticks: yTicks.map((t) => ({ ...t, at: round2(plot.y + plot.h - t.at * plot.h) })) },
  };
}

function polyline(points: [number, number][], xr: [number, number], yr: [number, number]): string {
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  return points.map(([x, y]) => `${round2(PAD.left + ((x - xr[0]) / (xr[1] - xr[0] || 1)) * pw)},${round2(PAD.top + ph - ((y - yr[0]) / (yr[1] - yr[0] || 1)) * ph)}`).join(' ');
}

/** About five round ticks over [lo, hi], positions as fractions of the range. */
function ticks(lo: number, hi: number, label: (v: number) => string): Axis {
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: { at: number; label: string }[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push({ at: (v - lo) / span, label: label(v) });
  return { ticks: out };
}

const round = (v: number) => (Math.abs(v) >= 10 ? Math.round(v) : Math.round(v * 100) / 100);
const round2 = (v: number) => Math.round(v * 100) / 100;
const pct = (c: number) => `${Math.round(c * 10000) / 100} %`;
const fmtP = (p: number) => (p < 0.0001 ? '< 0.0001' : p >= 0.01 ? p.toFixed(3) : p.toPrecision(2));
const signedMs = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${round(Math.abs(v))} ms`;
