/**
 * The sweep page's charts as `ChartModel`s (charts.ts), drawn by the shared `chart.hbs`
 * partial: scatter plots, each point a zero-length path with a round cap (the partial draws
 * paths; the page's CSS makes a sweep chart's strokes dot-sized). Numbers and plain label
 * strings only: the template escapes every label.
 */
import type { ChartModel, ChartShape, Tick } from './charts.ts';
import { PALETTE } from './charts.ts';
import { formatMeasure } from './sweep.ts';

const WIDTH = 640;
const HEIGHT = 300;
const M = { left: 72, right: 20, top: 14, bottom: 44 };

export interface ScatterSeries {
  name: string;
  colour: string;
  points: { x: number; y: number; title: string }[];
}

export interface Axis {
  label: string;
  unit: string;
  /** Categorical: the names at x = 0, 1, 2 … */
  categories?: string[];
}

function ticksOf(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  const step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export function scatterChart(id: string, title: string, description: string, x: Axis, y: Axis, series: ScatterSeries[]): ChartModel {
  const plot = { x: M.left, y: M.top, width: WIDTH - M.left - M.right, height: HEIGHT - M.top - M.bottom };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  let xLo = x.categories ? -0.5 : Math.min(...xs);
  let xHi = x.categories ? x.categories.length - 0.5 : Math.max(...xs);
  let yLo = Math.min(...ys);
  let yHi = Math.max(...ys);
  if (!(xHi > xLo)) [xLo, xHi] = [xLo - 1, xHi + 1];
  if (!(yHi > yLo)) [yLo, yHi] = [yLo - Math.max(1, Math.abs(yLo) * 0.1), yHi + Math.max(1, Math.abs(yHi) * 0.1)];
  // Some air around the dots.
  const padX = x.categories ? 0 : (xHi - xLo) * 0.04;
  const padY = (yHi - yLo) * 0.06;
  xLo -= padX;
  xHi += padX;
  yLo -= padY;
  yHi += padY;
  const sx = (v: number) => plot.x + ((v - xLo) / (xHi - xLo)) * plot.width;
  const sy = (v: number) => plot.y + plot.height - ((v - yLo) / (yHi - yLo)) * plot.height;
  const xTicks: Tick[] = x.categories
    ? x.categories.map((label, i) => ({ pos: r1(sx(i)), label }))
    : ticksOf(xLo, xHi, 6).map((v) => ({ pos: r1(sx(v)), label: formatMeasure(v, x.unit) }));
  const yTicks: Tick[] = ticksOf(yLo, yHi, 5).map((v) => ({ pos: r1(sy(v)), label: formatMeasure(v, y.unit) }));
  const lines: ChartShape[] = series.flatMap((s) => s.points.map((p) => ({ name: p.title, colour: s.colour, d: `M${r1(sx(p.x))} ${r1(sy(p.y))}h0` })));
  return {
    id,
    title,
    description,
    width: WIDTH,
    height: HEIGHT,
    plot: { ...plot, bottom: plot.y + plot.height, right: plot.x + plot.width, cx: plot.x + plot.width / 2 },
    xTicks,
    yTicks,
    xLabel: x.label,
    yLabel: y.label,
    yLabelY: plot.y + plot.height / 2,
    bands: [],
    areas: [],
    thresholds: [],
    lines,
    legend: series.filter((s) => s.points.length).map((s) => ({ name: s.name, colour: s.colour, kind: 'line' as const })),
    empty: all.length === 0,
  };
}

export const SCATTER_COLOURS = { front: PALETTE.blue, recommended: PALETTE.vermillion, feasible: PALETTE.sky, infeasible: '#b8bec5' } as const;
