/**
 * Chart geometry for the HTML report, computed here and drawn by the template as inline SVG.
 * The output is numbers and plain label strings only: the template escapes every label, so
 * no SVG markup is ever built by string concatenation from user data (fault and provider names).
 */
import type { FaultSwitch } from '../model/run.ts';
import { formatMs } from './format.ts';
import type { RunSeries } from '../model/result.ts';
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

/** Assigns each band the first label lane free at its start, so overlapping faults do not write over each other. */
function laneBands(faults: FaultSwitch[], runEndMs: number): { fault: FaultSwitch; from: number; to: number; lane: number }[] {
  const lanesEnd: number[] = [];
  return faults
    .filter((f) => f.on !== null)
    .map((f) => ({ fault: f, from: f.on!, to: f.off ?? runEndMs }))
    .sort((a, b) => a.from - b.from)
    .map((b) => {
      let lane = lanesEnd.findIndex((end) => end <= b.from);
      if (lane === -1) lane = lanesEnd.length;
      lanesEnd[lane] = b.to;
      return { ...b, lane };
    });
}

interface Frame {
  seconds: number;
  plot: ChartModel['plot'];
  x: (s: number) => number;
  xTicks: Tick[];
  bands: FaultBand[];
}

/** The part every chart of one run shares: time axis, plot area and fault bands. */
function frame(series: RunSeries, durationMs: number, faults: FaultSwitch[]): Frame {
  const bucket = bucketWidth(series);
  const lastBucketEnd = series.t.length > 0 ? series.t[series.t.length - 1]! + bucket : 0;
  const seconds = Math.max(durationMs / 1000, lastBucketEnd, 1);
  const laned = laneBands(faults, seconds * 1000);
  const lanes = laned.reduce((n, b) => Math.max(n, b.lane + 1), 0);
  const top = 10 + lanes * LANE_HEIGHT;
  const plot = {
    x: MARGIN.left,
    y: top,
    width: WIDTH - MARGIN.left - MARGIN.right,
    height: HEIGHT - top - MARGIN.bottom,
    bottom: HEIGHT - MARGIN.bottom,
    right: WIDTH - MARGIN.right,
    cx: MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right) / 2,
  };
  const x = (s: number) => round1(plot.x + (Math.min(Math.max(s, 0), seconds) / seconds) * plot.width);
  const bands = laned.map(({ fault, from, to, lane }) => ({
    x: x(from / 1000),
    width: round1(Math.max(x(to / 1000) - x(from / 1000), 1)),
    right: round1(x(from / 1000) + Math.max(x(to / 1000) - x(from / 1000), 1)),
    label: fault.off === null ? `${fault.fault} (still on)` : fault.fault,
    labelX: round1(x(from / 1000) + 4),
    labelY: 4 + lane * LANE_HEIGHT + 9,
    laneY: 4 + lane * LANE_HEIGHT + 11,
    open: fault.off === null,
    title: `${fault.fault} (${fault.kind}): ${(from / 1000).toFixed(3)} s – ${fault.off === null ? 'still on at the end' : `${(to / 1000).toFixed(3)} s`}`,
  }));
  return { seconds, plot, x, xTicks: timeTicks(seconds).map((s) => ({ pos: x(s), label: formatTimeTick(s) })), bands };
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
    height: HEIGHT,
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
  const totals = series.t.map((_, i) => layers.reduce((sum, l) => sum + (l.values[i] ?? 0), 0));
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
    if (above.some((v, i) => v !== below[i])) {
      // Along the top edge left to right, then back along the bottom edge.
      const top: string[] = [];
      const bottom: string[] = [];
      for (let i = 0; i < n; i++) {
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
function linePath(t: number[], values: (number | null)[], bucket: number, x: (s: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < t.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    const point = `${px(x(t[i]! + bucket / 2))} ${px(y(v))}`;
    const next = values[i + 1];
    const lone = !pen && (next === null || next === undefined);
    d += pen ? `L${point}` : lone ? `M${point}l0 0` : `M${point}`;
    pen = true;
  }
  return d;
}

/**
 * Latency p50 and p99 per second. A log scale when the values span more than two decades (a
 * retry storm's tail next to a healthy median), so both stay readable; linear otherwise.
 */
export function latencyChart(series: RunSeries, durationMs: number, faults: FaultSwitch[], scale: SharedScale = {}): ChartModel {
  const f = frame(series, durationMs, faults);
  const values = [...series.p50, ...series.p99].filter((v): v is number => v !== null && Number.isFinite(v) && v >= 0);
  const positive = values.filter((v) => v > 0);
  const max = Math.max(0, scale.max ?? 0, ...values);
  const min = Math.min(...positive, ...(scale.min !== undefined && scale.min > 0 ? [scale.min] : []), Infinity);
  const log = Number.isFinite(min) && max / min > 100;
  const chart = base(
    'chart-latency',
    'Latency per second (p50, p99)',
    'Latency percentiles of the requests due in each second, measured from their due time, with fault windows shaded.',
    f,
    log ? 'latency (ms, log scale)' : 'latency (ms)',
  );
  chart.empty = values.length === 0;
  let y: (v: number) => number;
  if (log) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.max(Math.ceil(Math.log10(max)), lo + 1);
    y = (v) => f.plot.bottom - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * f.plot.height;
    for (let e = lo; e <= hi; e++) chart.yTicks.push({ pos: round1(y(10 ** e)), label: formatMs(10 ** e) });
  } else {
    const ticks = linearTicks(max > 0 ? max : 1, 5);
    y = (v) => f.plot.bottom - (v / ticks.at(-1)!) * f.plot.height;
    chart.yTicks = ticks.map((v) => ({ pos: round1(y(v)), label: formatMs(v) }));
  }
  const bucket = bucketWidth(series);
  const lines = [
    { name: 'p50', colour: PALETTE.blue, values: series.p50 },
    { name: 'p99', colour: PALETTE.vermillion, values: series.p99 },
  ];
  chart.legend = lines.map((l) => ({ name: l.name, colour: l.colour, kind: 'line' as const }));
  chart.lines = lines.map((l) => ({ name: l.name, colour: l.colour, d: linePath(series.t, l.values, bucket, f.x, y) }));
  return chart;
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
    chart.lines.push({ name: p, colour, d: linePath(series.t, series.upstream[p]!, bucket, f.x, y) });
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
    chart.lines.push({ name: p, colour, d: linePath(counts.map((_, k) => k * bin), counts, bin, f.x, y) });
    const ptm = peakToMean(counts);
    const per = periodicity(counts);
    const period = !per.ok ? per.reason : per.flat ? 'no wave' : `dominant period ${formatMs(per.lagBins * fine.binMs)} (autocorrelation ${per.value.toFixed(2)})`;
    notes.push(`${p}: peak-to-mean ${ptm ? `${ptm.value.toFixed(1)} (peak ${counts[ptm.peakBin]} at ${((ptm.peakBin * fine.binMs) / 1000).toFixed(2)} s)` : 'n/a (no arrivals)'}, ${period} — over the whole run`);
  });
  return chart;
}
