/**
 * Chart geometry for the HTML report, computed here and drawn by the template as inline SVG.
 * The output is numbers and plain label strings only: the template escapes every label, so
 * no SVG markup is ever built by string concatenation from user data (fault and provider names).
 */
import type { FaultSwitch } from '../model/run.ts';
import { formatMs } from './format.ts';
import type { RunSeries, SloVerdict } from '../model/result.ts';
import { peakToMean, periodicity } from '../model/herd.ts';

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print. */
export const PALETTE = {
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  purple: '#CC79A7',
  sky: '#56B4E9',
  vermillion: '#D55E00',
  yellow: '#F0E442',
  black: '#000000',
} as const;

/** Order for per-provider series: strong contrasts first, yellow (weak on white) last. */
const SERIES_COLOURS = [PALETTE.blue, PALETTE.orange, PALETTE.purple, PALETTE.green, PALETTE.vermillion, PALETTE.sky, PALETTE.black, PALETTE.yellow];

export interface Tick {
  pos: number;
  label: string;
}

export interface FaultBand {
  x: number;
  width: number;
  /** x + width: where the closing edge is drawn. */
  right: number;
  label: string;
  labelX: number;
  labelY: number;
  /** The lane's marker bar, above the plot, spanning the window like a Gantt bar. */
  laneY: number;
  /** Still on when the run ended (an aborted run): drawn open-ended. */
  open: boolean;
  /** For the hover title: `stripe-eu-down: 5.012 s – 15.008 s`. */
  title: string;
}

export interface ChartShape {
  name: string;
  colour: string;
  d: string;
  /** Drawn dashed (a second statistic of the same series: a provider's p50 beside its p99). */
  dashed?: boolean;
}

/** An SLO's threshold over its window, drawn as a dashed line on the chart of what it judges. */
export interface ThresholdLine {
  x1: number;
  x2: number;
  y: number;
  /** `p99 < 400ms`, beside the line. */
  label: string;
  /** The label's offset from the line (above it, or below when another label is in the way). */
  dy: number;
  labelX: number;
  /** The SLO broke: drawn in the failure colour. */
  failed: boolean;
  title: string;
}

/** One row of a state band (a breaker's state over time): coloured segments over the time axis. */
export interface StateRow {
  label: string;
  y: number;
  height: number;
  labelY: number;
  segments: { x: number; width: number; cls: string; title: string }[];
}

export interface ChartModel {
  id: string;
  title: string;
  /** What the chart shows, for screen readers. */
  description: string;
  width: number;
  height: number;
  plot: { x: number; y: number; width: number; height: number; bottom: number; right: number; cx: number };
  xTicks: Tick[];
  yTicks: Tick[];
  xLabel: string;
  yLabel: string;
  /** Mid-height of the plot, where the rotated y label is centred. */
  yLabelY: number;
  bands: FaultBand[];
  areas: ChartShape[];
  lines: ChartShape[];
  legend: { name: string; colour: string; kind: 'area' | 'line' }[];
  /** Nothing to draw (no buckets, or all zero / null). */
  empty: boolean;
  /** Figures printed beside the chart (the herd chart's peak-to-mean and period per provider). */
  notes?: string[];
  thresholds: ThresholdLine[];
  /** A state band's rows (the breakers), instead of lines and areas. */
  stateRows?: StateRow[];
}

const WIDTH = 960;
const HEIGHT = 280;
const MARGIN = { left: 64, right: 16, bottom: 44 };
const LANE_HEIGHT = 15;

/** Rounds to 0.1 px: enough for a screen, and keeps the page small. */
function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function px(n: number): string {
  return String(round1(n));
}

/** A step of 1, 2 or 5 × 10ⁿ that gives about `count` ticks over [0, max]. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const nice = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10;
  return nice * magnitude;
}

/** Ticks from 0 up to the first nice value at or above `max`, so the data never overshoots the axis. */
function linearTicks(max: number, count: number): number[] {
  const step = niceStep(max, count);
  const steps = Math.max(1, Math.ceil(max / step - 1e-9));
  // Float steps (0.1 + 0.2) would drift; scale from an integer index instead.
  return Array.from({ length: steps + 1 }, (_, i) => +(i * step).toPrecision(12));
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

function timeTicks(seconds: number): number[] {
  const step = TIME_STEPS.find((s) => seconds / s <= 12) ?? Math.ceil(seconds / 12 / 3600) * 3600;
  const ticks: number[] = [];
  for (let t = 0; t <= seconds + 1e-9; t += step) ticks.push(t);
  return ticks;
}

/** Tick labels carry their unit, since one axis can run from seconds into minutes. */
function formatTimeTick(s: number): string {
  if (s === 0) return '0';
  if (s < 60 || s % 60 !== 0) return `${s}s`;
  return s % 3600 === 0 ? `${s / 3600}h` : `${s / 60}m`;
}

/** A band's label: the fault's name, and what it does when the result says (`stripe-eu-down: stripe@eu 503`). */
export function bandLabel(fault: FaultSwitch): string {
  const text = fault.label ? `${fault.fault}: ${fault.label}` : fault.fault;
  return fault.off === null ? `${text} (still on)` : text;
}

/** About how wide 11 px bold system-ui text is, per character: enough to keep labels apart. */
const CHAR_PX = 6.6;

/**
 * Assigns each band the first label lane free at its start, so overlapping faults do not
 * write over each other: a lane is taken until the band ends or its label does, whichever
 * is later (`msPerPx` turns the label's width into time).
 */
function laneBands(faults: FaultSwitch[], runEndMs: number, msPerPx: number): { fault: FaultSwitch; from: number; to: number; lane: number }[] {
  const lanesEnd: number[] = [];
  return faults
    .filter((f) => f.on !== null)
    .map((f) => ({ fault: f, from: f.on!, to: f.off ?? runEndMs }))
    .sort((a, b) => a.from - b.from)
    .map((b) => {
      let lane = lanesEnd.findIndex((end) => end <= b.from);
      if (lane === -1) lane = lanesEnd.length;
      lanesEnd[lane] = Math.max(b.to, b.from + (bandLabel(b.fault).length * CHAR_PX + 12) * msPerPx);
      return { ...b, lane };
    });
}

interface Frame {
  seconds: number;
  plot: ChartModel['plot'];
  x: (s: number) => number;
  xTicks: Tick[];
  bands: FaultBand[];
  height: number;
}

/**
 * The part every chart of one run shares: time axis, plot area and fault bands. The axis ends
 * at the run's end (upstream calls still draining after it are in the tables, not the charts);
 * a run that measured nothing gets a one-second axis.
 */
function frame(series: RunSeries, durationMs: number, faults: FaultSwitch[], height = HEIGHT): Frame {
  const bucket = bucketWidth(series);
  const lastBucketEnd = series.t.length > 0 ? series.t[series.t.length - 1]! + bucket : 0;
  const seconds = durationMs > 0 ? durationMs / 1000 : Math.max(lastBucketEnd, 1);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const laned = laneBands(faults, seconds * 1000, (seconds * 1000) / plotWidth);
  const lanes = laned.reduce((n, b) => Math.max(n, b.lane + 1), 0);
  const top = 10 + lanes * LANE_HEIGHT;
  const plot = {
    x: MARGIN.left,
    y: top,
    width: WIDTH - MARGIN.left - MARGIN.right,
    height: height - top - MARGIN.bottom,
    bottom: height - MARGIN.bottom,
    right: WIDTH - MARGIN.right,
    cx: MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right) / 2,
  };
  const x = (s: number) => round1(plot.x + (Math.min(Math.max(s, 0), seconds) / seconds) * plot.width);
  const bands = laned.map(({ fault, from, to, lane }) => ({
    x: x(from / 1000),
    width: round1(Math.max(x(to / 1000) - x(from / 1000), 1)),
    right: round1(x(from / 1000) + Math.max(x(to / 1000) - x(from / 1000), 1)),
    label: bandLabel(fault),
    labelX: round1(x(from / 1000) + 4),
    labelY: 4 + lane * LANE_HEIGHT + 9,
    laneY: 4 + lane * LANE_HEIGHT + 11,
    open: fault.off === null,
    title: `${fault.fault} (${fault.label ?? fault.kind}): ${(from / 1000).toFixed(3)} s – ${fault.off === null ? 'still on at the end' : `${(to / 1000).toFixed(3)} s`}`,
  }));
  return { seconds, plot, x, xTicks: timeTicks(seconds).map((s) => ({ pos: x(s), label: formatTimeTick(s) })), bands, height };
}

function bucketWidth(series: RunSeries): number {
  return series.t.length > 1 ? series.t[1]! - series.t[0]! : 1;
}

function base(id: string, title: string, description: string, f: Frame, yLabel: string): ChartModel {
  return {
    id,
    title,
    description,
    width: WIDTH,
    height: f.height,
    plot: f.plot,
    xTicks: f.xTicks,
    yTicks: [],
    xLabel: 'time since start',
    yLabel,
    yLabelY: round1(f.plot.y + f.plot.height / 2),
    bands: f.bands,
    areas: [],
    lines: [],
    legend: [],
    empty: true,
    thresholds: [],
  };
}

/**
 * A y range several charts share, so charts drawn side by side (the variants' comparison page)
 * read on one scale: the axis reaches at least `max`, and (latency) counts `min` as the
 * smallest positive value when choosing a log scale.
 */
export interface SharedScale {
  max?: number;
  min?: number;
}

/** Requests per second, stacked by outcome, as step areas (each bucket is drawn over its full second). */
export function requestsChart(series: RunSeries, durationMs: number, faults: FaultSwitch[], scale: SharedScale = {}): ChartModel {
  const f = frame(series, durationMs, faults);
  const chart = base('chart-requests', 'Requests per second by outcome', 'Stacked requests per second: ok, 4xx, 5xx and network errors, with fault windows shaded.', f, 'requests / s');
  const layers = [
    { name: 'ok (2xx/3xx)', colour: PALETTE.sky, values: series.ok },
    { name: '4xx', colour: PALETTE.orange, values: series.status4xx },
    { name: '5xx', colour: PALETTE.vermillion, values: series.status5xx },
    { name: 'errors / timeouts', colour: PALETTE.black, values: series.errors },
  ];
  const n = series.t.length;
  const totals = series.t.map((t, i) => (t < f.seconds ? layers.reduce((sum, l) => sum + (l.values[i] ?? 0), 0) : 0));
  const max = Math.max(0, scale.max ?? 0, ...totals);
  const bucket = bucketWidth(series);
  const ticks = linearTicks(max > 0 ? max : 1, 5);
  const y = (v: number) => f.plot.bottom - (v / ticks.at(-1)!) * f.plot.height;
  chart.yTicks = ticks.map((v) => ({ pos: round1(y(v)), label: String(v) }));
  chart.legend = layers.map((l) => ({ name: l.name, colour: l.colour, kind: 'area' as const }));
  chart.empty = max === 0;
  const below = new Array<number>(n).fill(0);
  for (const layer of layers) {
    const above = below.map((b, i) => b + (layer.values[i] ?? 0));
    // A layer with nothing inside the run's span (only past its end) is not drawn.
    if (above.some((v, i) => v !== below[i] && series.t[i]! < f.seconds)) {
      // Along the top edge left to right, then back along the bottom edge.
      const top: string[] = [];
      const bottom: string[] = [];
      for (let i = 0; i < n; i++) {
        if (series.t[i]! >= f.seconds) break;
        const x0 = px(f.x(series.t[i]!));
        const x1 = px(f.x(series.t[i]! + bucket));
        top.push(`${i === 0 ? 'M' : 'L'}${x0} ${px(y(above[i]!))}L${x1} ${px(y(above[i]!))}`);
        bottom.unshift(`L${x1} ${px(y(below[i]!))}L${x0} ${px(y(below[i]!))}`);
      }
      chart.areas.push({ name: layer.name, colour: layer.colour, d: `${top.join('')}${bottom.join('')}Z` });
    }
    above.forEach((v, i) => (below[i] = v));
  }
  return chart;
}

/**
 * A polyline through the bucket midpoints; a null value breaks the line. A lone point between
 * gaps is a zero-length segment, drawn as a dot by the round line cap.
 */
function linePath(t: number[], values: (number | null)[], bucket: number, x: (s: number) => number, y: (v: number) => number, end = Infinity): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < t.length; i++) {
    if (t[i]! >= end) break;
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    const point = `${px(x(t[i]! + bucket / 2))} ${px(y(v))}`;
    const next = t[i + 1] !== undefined && t[i + 1]! < end ? values[i + 1] : null;
    const lone = !pen && (next === null || next === undefined);
    d += pen ? `L${point}` : lone ? `M${point}l0 0` : `M${point}`;
    pen = true;
  }
  return d;
}

/** A ms axis over the values: log when they span more than two decades (a retry storm's tail next to a healthy median), so both stay readable; linear otherwise. */
function msAxis(values: number[], f: Frame, scale: SharedScale): { y: (v: number) => number; ticks: Tick[]; log: boolean } {
  const positive = values.filter((v) => v > 0);
  const max = Math.max(0, scale.max ?? 0, ...values);
  const min = Math.min(...positive, ...(scale.min !== undefined && scale.min > 0 ? [scale.min] : []), Infinity);
  const log = Number.isFinite(min) && max / min > 100;
  if (log) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.max(Math.ceil(Math.log10(max)), lo + 1);
    const y = (v: number) => f.plot.bottom - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * f.plot.height;
    const ticks: Tick[] = [];
    for (let e = lo; e <= hi; e++) ticks.push({ pos: round1(y(10 ** e)), label: formatMs(10 ** e) });
    return { y, ticks, log };
  }
  const ticks = linearTicks(max > 0 ? max : 1, 5);
  const y = (v: number) => f.plot.bottom - (v / ticks.at(-1)!) * f.plot.height;
  return { y, ticks: ticks.map((v) => ({ pos: round1(y(v)), label: formatMs(v) })), log };
}

const finite = (xs: readonly (number | null | undefined)[]): number[] => xs.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v) && v >= 0);

/** The latency percentile an SLO judges (`p99(latency) < 400ms` → 99), or null for any other SLO. */
function latencyPercentile(slo: SloVerdict): string | null {
  if (slo.unit !== 'ms') return null;
  const m = /^\s*(p\d+(?:\.\d+)?|max|mean)\s*\(\s*latency\b/.exec(slo.expression);
  return m ? m[1]! : null;
}

/** Each SLO `pick` takes, as a threshold line over its window at the height `pick` gives (in the chart's units). */
function thresholdLines(slos: readonly SloVerdict[], f: Frame, y: (v: number) => number, pick: (slo: SloVerdict) => number | null): ThresholdLine[] {
  const out: ThresholdLine[] = [];
  // Label boxes placed so far (right-aligned at labelX, text above the line): a label that
  // would overlap one moves down below its line, then further, so none writes over another.
  const placed: { x0: number; x1: number; top: number; bottom: number }[] = [];
  const LABEL_H = 13;
  for (const slo of slos) {
    const v = pick(slo);
    if (v === null || slo.range === null || !Number.isFinite(v)) continue;
    const x1 = f.x(slo.range[0] / 1000);
    const x2 = Math.max(f.x(slo.range[1] / 1000), x1 + 1);
    const at = round1(Math.min(Math.max(y(v), f.plot.y), f.plot.bottom));
    const label = `${slo.expression}${slo.passed ? '' : ' ✗'}`;
    const labelX = round1(Math.max(f.plot.x + 2, x2 - 4));
    const width = label.length * CHAR_PX;
    // Above the line first, then stacked higher, then below it: the first place inside the plot that no other label takes.
    const box = (dy: number) => ({ x0: labelX - width, x1: labelX, top: at + dy - LABEL_H + 3, bottom: at + dy + 3 });
    const free = (dy: number) => {
      const b = box(dy);
      return b.top >= f.plot.y - 2 && b.bottom <= f.plot.bottom && !placed.some((p) => p.x0 < b.x1 && b.x0 < p.x1 && p.top < b.bottom && b.top < p.bottom);
    };
    const dy = [-4, -4 - LABEL_H, -4 - 2 * LABEL_H, LABEL_H, 2 * LABEL_H, -4 - 3 * LABEL_H].find(free) ?? -4;
    placed.push(box(dy));
    out.push({
      x1,
      x2,
      y: at,
      dy,
      label,
      labelX,
      failed: !slo.passed,
      title: `SLO ${slo.name}: ${slo.expression} over ${slo.window} — ${slo.passed ? 'held' : 'broke'}`,
    });
  }
  return out;
}

/**
 * Latency p50, p95 and p99 per second, with every latency SLO's threshold drawn over its
 * window (its axis reaches the threshold, so the line is always in view).
 */
export function latencyChart(series: RunSeries, durationMs: number, faults: FaultSwitch[], scale: SharedScale = {}, slos: readonly SloVerdict[] = []): ChartModel {
  const f = frame(series, durationMs, faults);
  const judged = slos.filter((s) => latencyPercentile(s) !== null && s.range !== null);
  const values = finite([...series.p50, ...(series.p95 ?? []), ...series.p99]);
  const axis = msAxis([...values, ...judged.map((s) => s.threshold)], f, scale);
  const names = series.p95 ? 'p50, p95, p99' : 'p50, p99';
  const chart = base(
    'chart-latency',
    `Latency per second (${names})`,
    'Latency percentiles of the requests due in each second, measured from their due time, with fault windows shaded and latency SLO thresholds drawn over their windows.',
    f,
    axis.log ? 'latency (ms, log scale)' : 'latency (ms)',
  );
  chart.empty = values.length === 0;
  chart.yTicks = axis.ticks;
  const bucket = bucketWidth(series);
  const lines = [
    { name: 'p50', colour: PALETTE.blue, values: series.p50 },
    ...(series.p95 ? [{ name: 'p95', colour: PALETTE.orange, values: series.p95 }] : []),
    { name: 'p99', colour: PALETTE.vermillion, values: series.p99 },
  ];
  chart.legend = lines.map((l) => ({ name: l.name, colour: l.colour, kind: 'line' as const }));
  chart.lines = lines.map((l) => ({ name: l.name, colour: l.colour, d: linePath(series.t, l.values, bucket, f.x, axis.y, f.seconds) }));
  chart.thresholds = thresholdLines(judged, f, axis.y, (s) => s.threshold);
  return chart;
}

/**
 * The share of requests per second that failed by the default rule (not 2xx/3xx: 4xx, 5xx,
 * network errors and timeouts), with `error_rate` and `availability` SLO thresholds (an
 * availability of 99.5 % as an error rate of 0.5 %) over their windows.
 */
export function errorRateChart(series: RunSeries, durationMs: number, faults: FaultSwitch[], slos: readonly SloVerdict[] = []): ChartModel {
  const f = frame(series, durationMs, faults);
  const chart = base(
    'chart-error-rate',
    'Error rate per second',
    'The share of the requests due in each second that did not succeed (4xx, 5xx, network errors and timeouts), with fault windows shaded and error-rate and availability SLO thresholds drawn over their windows.',
    f,
    'failed requests (%)',
  );
  const rates = series.t.map((_, i) => {
    const bad = (series.status4xx[i] ?? 0) + (series.status5xx[i] ?? 0) + (series.errors[i] ?? 0);
    const total = bad + (series.ok[i] ?? 0);
    return total === 0 ? null : (bad / total) * 100;
  });
  const pick = (s: SloVerdict): number | null => {
    if (s.unit !== 'percent') return null;
    if (/^\s*error_rate\b/.test(s.expression)) return s.threshold * 100;
    if (/^\s*availability\b/.test(s.expression)) return (1 - s.threshold) * 100;
    return null;
  };
  const judged = slos.filter((s) => pick(s) !== null && s.range !== null);
  const visible = finite(rates.filter((_, i) => series.t[i]! < f.seconds));
  const max = Math.max(0, ...visible, ...judged.map((s) => pick(s)!));
  const ticks = linearTicks(max > 0 ? max : 1, 5);
  const y = (v: number) => f.plot.bottom - (v / ticks.at(-1)!) * f.plot.height;
  chart.yTicks = ticks.map((v) => ({ pos: round1(y(v)), label: `${v} %` }));
  chart.empty = visible.length === 0;
  const bucket = bucketWidth(series);
  chart.legend = [{ name: 'failed share', colour: PALETTE.vermillion, kind: 'line' }];
  chart.lines = [{ name: 'failed share', colour: PALETTE.vermillion, d: linePath(series.t, rates, bucket, f.x, y, f.seconds) }];
  chart.thresholds = thresholdLines(judged, f, y, pick);
  return chart;
}

/**
 * Each provider's latency per second, as the provider measured it (arrival to the answer's
 * end: HTTP faults and capacity queueing included, a network toxic in front of it not):
 * p99 solid, p50 dashed. Null when the result has no upstream latency.
 */
export function upstreamLatencyChart(series: RunSeries, durationMs: number, faults: FaultSwitch[]): ChartModel | null {
  const lat = series.upstreamLatency;
  if (!lat || Object.keys(lat).length === 0) return null;
  const f = frame(series, durationMs, faults);
  const providers = Object.keys(lat).sort();
  const values = finite(providers.flatMap((p) => [...lat[p]!.p50, ...lat[p]!.p99].filter((_, i) => (series.t[i % series.t.length] ?? 0) < f.seconds)));
  const axis = msAxis(values, f, {});
  const chart = base(
    'chart-upstream-latency',
    'Upstream latency per second by provider (p50 dashed, p99 solid)',
    "Each provider's own latency, from a call's arrival at the provider to its answer's end, per second of arrival, with fault windows shaded. A network fault in front of the provider (in Toxiproxy) is not in it.",
    f,
    axis.log ? 'upstream latency (ms, log scale)' : 'upstream latency (ms)',
  );
  chart.yTicks = axis.ticks;
  chart.empty = values.length === 0;
  const bucket = bucketWidth(series);
  providers.forEach((p, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
    chart.legend.push({ name: p, colour, kind: 'line' });
    chart.lines.push({ name: `${p} p99`, colour, d: linePath(series.t, lat[p]!.p99, bucket, f.x, axis.y, f.seconds) });
    chart.lines.push({ name: `${p} p50`, colour, d: linePath(series.t, lat[p]!.p50, bucket, f.x, axis.y, f.seconds), dashed: true });
  });
  return chart;
}

const BREAKER_STATES: Record<number, { cls: string; name: string }> = { 0: { cls: 'closed', name: 'closed' }, 1: { cls: 'open', name: 'open' }, 2: { cls: 'half-open', name: 'half-open' } };
const ROW_HEIGHT = 22;
const ROW_GAP = 6;

/**
 * Each circuit breaker's state over time (`series.router.breakers`), a row per provider and
 * region: closed, open, half-open, or unknown where no scrape landed. Null without breakers.
 */
export function breakerChart(series: RunSeries, durationMs: number, faults: FaultSwitch[]): ChartModel | null {
  const breakers = series.router?.breakers;
  if (!breakers || Object.keys(breakers).length === 0) return null;
  const keys = Object.keys(breakers).sort();
  // As tall as its rows need below the fault labels' lanes.
  const height = frame(series, durationMs, faults).plot.y + keys.length * (ROW_HEIGHT + ROW_GAP) + MARGIN.bottom;
  const f = frame(series, durationMs, faults, height);
  const chart = base(
    'chart-breakers',
    'Circuit breaker state by provider and region',
    "Each circuit breaker's state per second from the router's circuit_breaker_state gauge, scraped every second (raised to open in a second in which it tripped between scrapes), with fault windows shaded.",
    f,
    '',
  );
  chart.legend = [
    { name: 'closed', colour: PALETTE.green, kind: 'area' },
    { name: 'open', colour: PALETTE.vermillion, kind: 'area' },
    { name: 'half-open', colour: PALETTE.yellow, kind: 'area' },
    { name: 'no scrape', colour: '#d9dee3', kind: 'area' },
  ];
  const bucket = bucketWidth(series);
  chart.stateRows = keys.map((key, r) => {
    const states = breakers[key]!;
    const y = round1(f.plot.y + ROW_GAP / 2 + r * (ROW_HEIGHT + ROW_GAP));
    const segments: StateRow['segments'] = [];
    let i = 0;
    while (i < states.length && series.t[i]! < f.seconds) {
      const state = states[i];
      let j = i + 1;
      while (j < states.length && states[j] === state && series.t[j]! < f.seconds) j++;
      const from = series.t[i]!;
      const to = Math.min(series.t[j - 1]! + bucket, f.seconds);
      const st = state === null || state === undefined ? { cls: 'unknown', name: 'unknown (no scrape)' } : (BREAKER_STATES[state] ?? { cls: 'unknown', name: `state ${state}` });
      segments.push({ x: f.x(from), width: round1(Math.max(f.x(to) - f.x(from), 0.5)), cls: st.cls, title: `${key}: ${st.name} ${from} s – ${+to.toFixed(3)} s` });
      i = j;
    }
    return { label: key, y, height: ROW_HEIGHT, labelY: round1(y + ROW_HEIGHT / 2 + 4), segments };
  });
  chart.empty = keys.every((k) => breakers[k]!.every((v) => v === null));
  chart.yLabel = '';
  return chart;
}

/** The router's actions per second, each from its counter's increase between scrapes. */
export function routerActionsChart(series: RunSeries, durationMs: number, faults: FaultSwitch[], labels: readonly { key: string; label: string }[]): ChartModel | null {
  const actions = series.router?.actions;
  if (!actions || Object.keys(actions).length === 0) return null;
  const f = frame(series, durationMs, faults);
  const chart = base(
    'chart-router-actions',
    'Router actions per second',
    "Retries, failovers, fallbacks, sheds, rate-limit refusals and the router's other refusals per second, from the increase of its counters between the per-second /metrics scrapes, with fault windows shaded.",
    f,
    'per second',
  );
  const visible = (row: number[]) => row.filter((_, i) => series.t[i]! < f.seconds);
  const shown = labels.filter((l) => actions[l.key] && visible(actions[l.key]!).some((v) => v > 0));
  const quiet = labels.filter((l) => actions[l.key] && !shown.includes(l));
  const max = Math.max(0, ...shown.flatMap((l) => visible(actions[l.key]!)));
  const ticks = linearTicks(max > 0 ? max : 1, 5);
  const y = (v: number) => f.plot.bottom - (v / ticks.at(-1)!) * f.plot.height;
  chart.yTicks = ticks.map((v) => ({ pos: round1(y(v)), label: String(v) }));
  chart.empty = shown.length === 0;
  const bucket = bucketWidth(series);
  shown.forEach((l, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
    chart.legend.push({ name: l.label, colour, kind: 'line' });
    chart.lines.push({ name: l.label, colour, d: linePath(series.t, actions[l.key]!, bucket, f.x, y, f.seconds) });
  });
  if (quiet.length > 0) chart.notes = [`none during the run: ${quiet.map((l) => l.label).join(', ')}`];
  return chart;
}

/** One chart per metric the scenario names (`series.router.metrics`, keyed `name{labels}` or `name:p99`), its series as lines. */
export function namedMetricCharts(series: RunSeries, durationMs: number, faults: FaultSwitch[], names: readonly string[]): ChartModel[] {
  const metrics = series.router?.metrics;
  if (!metrics) return [];
  return names.map((name, n) => {
    const keys = Object.keys(metrics)
      .filter((k) => k === name || k.startsWith(`${name}{`) || k.startsWith(`${name}:`))
      .sort();
    const f = frame(series, durationMs, faults);
    const histogram = keys.some((k) => k.startsWith(`${name}:`));
    const counter = !histogram && /_(total|count|sum)$/.test(name);
    const chart = base(
      `chart-metric-${n}`,
      histogram ? `${name}: p50 and p99 per second` : counter ? `${name} per second` : `${name} over time`,
      histogram
        ? `The ${name} histogram's p50 and p99 per second, from its buckets' increase between scrapes (interpolated inside a bucket, as histogram_quantile does).`
        : counter
          ? `The increase of ${name} per second between scrapes, one line per label set.`
          : `${name} as scraped each second, one line per label set.`,
      f,
      histogram ? 'value (the histogram’s unit)' : counter ? 'per second' : 'value',
    );
    // A histogram in seconds (the Prometheus convention the name states) is drawn in ms, on the latency charts' axis.
    const toMs = histogram && name.endsWith('_seconds');
    const rows = Object.fromEntries(keys.map((k) => [k, toMs ? metrics[k]!.map((v) => (v === null ? null : v * 1000)) : metrics[k]!]));
    const values = finite(keys.flatMap((k) => rows[k]!.filter((_, i) => series.t[i]! < f.seconds)));
    let y: (v: number) => number;
    if (toMs) {
      const axis = msAxis(values, f, {});
      y = axis.y;
      chart.yTicks = axis.ticks;
      chart.yLabel = axis.log ? 'ms, log scale' : 'ms';
    } else {
      const max = Math.max(0, ...values);
      const ticks = linearTicks(max > 0 ? max : 1, 5);
      y = (v: number) => f.plot.bottom - (v / ticks.at(-1)!) * f.plot.height;
      chart.yTicks = ticks.map((v) => ({ pos: round1(y(v)), label: String(v) }));
    }
    chart.empty = values.length === 0;
    if (keys.length === 0) chart.notes = [`the target's /metrics never showed ${name}`];
    const bucket = bucketWidth(series);
    keys.forEach((k, i) => {
      const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
      const label = k === name ? name : k.slice(name.length).replace(/^:/, '');
      chart.legend.push({ name: label, colour, kind: 'line' });
      chart.lines.push({ name: k, colour, d: linePath(series.t, rows[k]!, bucket, f.x, y, f.seconds) });
    });
    return chart;
  });
}

/** Requests each fixture provider received per second: failover and retry amplification show here. */
export function upstreamChart(series: RunSeries, durationMs: number, faults: FaultSwitch[], scale: SharedScale = {}): ChartModel {
  const f = frame(series, durationMs, faults);
  const chart = base(
    'chart-upstream',
    'Upstream requests per second by provider',
    'Requests each fixture provider received per second, counted at the provider, with fault windows shaded.',
    f,
    'upstream requests / s',
  );
  const providers = Object.keys(series.upstream).sort();
  const max = Math.max(0, scale.max ?? 0, ...providers.flatMap((p) => series.upstream[p]!));
  const ticks = linearTicks(max > 0 ? max : 1, 5);
  const y = (v: number) => f.plot.bottom - (v / ticks.at(-1)!) * f.plot.height;
  chart.yTicks = ticks.map((v) => ({ pos: round1(y(v)), label: String(v) }));
  chart.empty = max === 0;
  const bucket = bucketWidth(series);
  providers.forEach((p, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
    chart.legend.push({ name: p, colour, kind: 'line' });
    chart.lines.push({ name: p, colour, d: linePath(series.t, series.upstream[p]!, bucket, f.x, y, f.seconds) });
  });
  return chart;
}

/**
 * Upstream arrivals per fine bin per provider (`series.upstreamFine`), when the result has
 * them: a herd of synchronised retries shows as spikes at the backoff period, which the
 * per-second chart averages away. Beside it, per provider over the whole run, the same
 * peak-to-mean and dominant period the SLO metrics compute (src/model/herd.ts). Null without
 * fine bins.
 */
export function fineUpstreamChart(series: RunSeries, durationMs: number, faults: FaultSwitch[]): ChartModel | null {
  const fine = series.upstreamFine;
  if (!fine) return null;
  const f = frame(series, durationMs, faults);
  const bin = fine.binMs / 1000;
  const chart = base(
    'chart-upstream-fine',
    `Upstream arrivals per ${formatMs(fine.binMs)} by provider`,
    `Requests each fixture provider received in each ${formatMs(fine.binMs)} bin, counted at the provider, with fault windows shaded: synchronised retries show as spikes at the backoff period.`,
    f,
    `arrivals / ${formatMs(fine.binMs)}`,
  );
  const providers = Object.keys(fine.counts).sort();
  const max = Math.max(0, ...providers.flatMap((p) => fine.counts[p]!));
  const ticks = linearTicks(max > 0 ? max : 1, 5);
  const y = (v: number) => f.plot.bottom - (v / ticks.at(-1)!) * f.plot.height;
  chart.yTicks = ticks.map((v) => ({ pos: round1(y(v)), label: String(v) }));
  chart.empty = max === 0;
  const notes: string[] = [];
  chart.notes = notes;
  providers.forEach((p, i) => {
    const counts = fine.counts[p]!;
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
    chart.legend.push({ name: p, colour, kind: 'line' });
    chart.lines.push({ name: p, colour, d: linePath(counts.map((_, k) => k * bin), counts, bin, f.x, y, f.seconds) });
    const ptm = peakToMean(counts);
    const per = periodicity(counts);
    const period = !per.ok ? per.reason : per.flat ? 'no wave' : `dominant period ${formatMs(per.lagBins * fine.binMs)} (autocorrelation ${per.value.toFixed(2)})`;
    notes.push(`${p}: peak-to-mean ${ptm ? `${ptm.value.toFixed(1)} (peak ${counts[ptm.peakBin]} at ${((ptm.peakBin * fine.binMs) / 1000).toFixed(2)} s)` : 'n/a (no arrivals)'}, ${period} — over the whole run`);
  });
  return chart;
}
