/**
 * Windows: the stretch of a run an SLO holds over. An SLO can hold over the whole run,
 * while a fault is on, or over the recovery after it — the question chaos experiments ask.
 */
import type { FaultSwitch, RunData } from '../model/run.ts';
import type { SloWindow } from '../model/window.ts';
import { formatDuration } from '../core/units.ts';

/** A window resolved to ms since the run's start: [start, end]. */
export type WindowRange = [number, number];

/**
 * Where a window falls in this run, from the times the faults actually switched (not when
 * they were scheduled to); null if it never opened: its fault never switched on (`during`)
 * or never switched off (`recovery`), or no fault has that name.
 *
 * A fault that switched on and off several times (a flapping fault) counts as on from its
 * first switch-on to its last switch-off, and recovers after the last switch-off.
 *
 * @example resolveWindow({ kind: 'during', fault: 'stripe-eu-down' }, data) // [10_000, 40_000]
 */
export function resolveWindow(window: SloWindow, data: Pick<RunData, 'faults' | 'durationMs'>): WindowRange | null {
  const end = data.durationMs;
  if (window.kind === 'run') return [0, end];
  const switchedOn = data.faults.filter((f) => f.fault === window.fault && f.on !== null);
  if (switchedOn.length === 0) return null;
  const stillOn = switchedOn.some((f) => f.off === null);
  if (window.kind === 'during') {
    const start = Math.min(...switchedOn.map((f) => f.on!));
    const stop = stillOn ? end : Math.max(...switchedOn.map((f) => f.off!));
    return [start, Math.max(start, stop)];
  }
  if (stillOn) return null;
  const start = Math.max(...switchedOn.map((f) => f.off!));
  const stop = window.forMs === undefined ? end : Math.min(start + window.forMs, end);
  // A fault that switched off after load ended leaves an empty window, not an inverted one.
  return [start, Math.max(start, stop)];
}

/**
 * Why `resolveWindow` gave null, in words for a verdict.
 *
 * @example whyNoWindow({ kind: 'during', fault: 'x' }, data) // 'no fault named "x" in this run (faults: joke-5xx)'
 */
export function whyNoWindow(window: SloWindow, data: Pick<RunData, 'faults'>): string {
  if (window.kind === 'run') return 'the run window always exists';
  const named = data.faults.filter((f) => f.fault === window.fault);
  if (named.length === 0) {
    const known = [...new Set(data.faults.map((f) => f.fault))];
    return `no fault named ${JSON.stringify(window.fault)} in this run (${known.length ? `faults: ${known.join(', ')}` : 'it has no faults'})`;
  }
  if (!named.some((f: FaultSwitch) => f.on !== null)) return `fault ${window.fault} never switched on, so there is no window to judge`;
  return `fault ${window.fault} never switched off, so its recovery never began`;
}

/**
 * The window as people say it: `run`, `during stripe-eu-down`, `recovery after stripe-eu-down (10s)`.
 */
export function describeWindow(w: SloWindow): string {
  switch (w.kind) {
    case 'run':
      return 'run';
    case 'during':
      return `during ${w.fault}`;
    case 'recovery':
      return `recovery after ${w.fault}${w.forMs === undefined ? '' : ` (${formatDuration(w.forMs)})`}`;
  }
}

/**
 * Whether an event at time `t` falls in the window. Windows are half-open, [start, end),
 * so an event at a fault's switch-off belongs to the recovery, not to both; the run's own
 * end is the exception and is included, since nothing follows it.
 */
export function inWindow(t: number, [start, end]: WindowRange, runEnd: number): boolean {
  return t >= start && (t < end || (t === end && end >= runEnd));
}
