/**
 * A one-line progress display for a person at a terminal: elapsed / duration, the rate
 * achieved over the last second, requests in flight, errors so far. Rewritten in place with
 * `\r` at most about four times a second; nothing at all when the output is not a TTY (CI
 * logs, pipes), so it never pollutes a log or a JSON stream.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { formatDuration } from '../core/units.ts';
import type { LoadProgress } from './types.ts';

/** How often a running load reports its progress, ms. */
export const PROGRESS_EVERY_MS = 250;

/**
 * Calls `report` every PROGRESS_EVERY_MS of `clock` until the returned function is called;
 * nothing at all when nobody listens (`listening` false). Both load models use it.
 */
export function reportProgressEvery(clock: Clock, listening: boolean, report: () => void): () => void {
  if (!listening) return () => {};
  let cancel = () => {};
  const every = () => {
    report();
    cancel = clock.schedule(PROGRESS_EVERY_MS, every);
  };
  cancel = clock.schedule(PROGRESS_EVERY_MS, every);
  return () => cancel();
}

/** The part of a stream the progress line needs (process.stdout has it). */
export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface ProgressLineOptions {
  durationMs: number;
  /** Default process.stdout. */
  stream?: ProgressStream;
  clock?: Clock;
  /** Least time between two redraws; default 250 ms. */
  minIntervalMs?: number;
}

export interface ProgressLine {
  /** Offer a snapshot; drawn only if the last redraw is old enough. Fits `onProgress`. */
  update(p: LoadProgress): void;
  /** Draws the final snapshot (if given) and ends the line. */
  done(p?: LoadProgress): void;
}

const RATE_WINDOW_MS = 1000;

/**
 * @example
 *   const line = progressLine({ durationMs: 30_000 });
 *   const run = await runOpenLoad({ ...opts, onProgress: line.update });
 *   line.done();
 */
export function progressLine(opts: ProgressLineOptions): ProgressLine {
  const stream = opts.stream ?? process.stdout;
  if (!stream.isTTY) return { update() {}, done() {} };
  const clock = opts.clock ?? systemClock;
  const minInterval = opts.minIntervalMs ?? 250;
  let lastDraw = -Infinity;
  let drawn = false;
  // Recent (t, sent) samples, so the rate shown is the current one, not the run's average.
  const samples: { t: number; sent: number }[] = [];

  const draw = (p: LoadProgress) => {
    stream.write(`\r${formatProgress(p, opts.durationMs, rate(p))}\x1b[K`);
    drawn = true;
    lastDraw = clock.now();
  };
  const rate = (p: LoadProgress): number | null => {
    while (samples.length > 1 && p.t - samples[1]!.t >= RATE_WINDOW_MS) samples.shift();
    const first = samples[0];
    if (!first || p.t - first.t <= 0) return null;
    return ((p.sent - first.sent) * 1000) / (p.t - first.t);
  };

  return {
    update(p) {
      if (samples.length === 0 || p.t > samples[samples.length - 1]!.t) samples.push({ t: p.t, sent: p.sent });
      if (clock.now() - lastDraw >= minInterval) draw(p);
    },
    done(p) {
      if (p) draw(p);
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** The line's text, e.g. `load 4.2s / 30s · 99.8/s · 3 in flight · 0 errors`. */
export function formatProgress(p: LoadProgress, durationMs: number, ratePerSecond: number | null): string {
  // Fixed-format seconds, so the line does not jump between µs, ms and s.
  const elapsed = `${(Math.max(0, Math.min(p.t, durationMs)) / 1000).toFixed(1)}s`;
  const shownRate = ratePerSecond === null ? '–' : ratePerSecond.toFixed(ratePerSecond < 100 ? 1 : 0);
  const errors = `${p.errors} error${p.errors === 1 ? '' : 's'}`;
  return `load ${elapsed} / ${formatDuration(durationMs)} · ${shownRate}/s · ${p.inFlight} in flight · ${errors}`;
}
