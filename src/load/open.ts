/**
 * The open-model load driver: requests arrive on a schedule that does not care how the target
 * is doing. A slow target means more requests in flight, not fewer arrivals, and each
 * request's latency runs from when it was due, so a stall shows up in the tail instead of
 * hiding behind the requests that were never sent (coordinated omission).
 *
 * Why not autocannon's `overallRate`: it sends each connection's per-second quota back to back
 * at the start of every second, and corrects coordinated omission with a fixed 1 ms interval
 * whatever the rate. Here a tick loop wakes for the next due time and dispatches every request
 * whose time has come, through an undici Pool that opens connections as needed.
 */
import { Pool } from 'undici';
import type { RequestRecord } from '../model/run.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import { arrivalTimes, mixPicker, routeName, type ArrivalKind, type RequestMix } from './arrivals.ts';
import { meetsExpectation } from '../model/success.ts';
import { reportProgressEvery } from './progress.ts';
import { errorCode, splitTarget, type LoadOptions, type LoadResult } from './types.ts';

export type { RequestMix } from './arrivals.ts';
export type { LoadProgress, LoadResult } from './types.ts';

export interface OpenLoadOptions extends LoadOptions {
  /** Arrivals per second. */
  rate: number;
  arrival: ArrivalKind;
  /** Requests in flight at most; an arrival over it is recorded as status 0 `overload`. Default 2000. */
  maxInFlight?: number;
}

export const DEFAULT_MAX_IN_FLIGHT = 2000;
/** After an abort, in-flight requests get at most this long (or the timeout, if shorter) to finish. */
const ABORT_GRACE_MS = 1000;
/** Past the end of the schedule, requests have their timeout plus this before the driver gives up on them. */
const DRAIN_SLACK_MS = 1000;

interface Flight {
  due: number;
  sent: number;
  route: string;
  /** The statuses its mix entry counts as a success. */
  expect: RequestMix['expect'];
  ac: AbortController;
  /** Why the driver aborted it, if it did; set before aborting so the failure is named right. */
  cause?: 'timeout' | 'aborted' | 'unfinished';
  done: boolean;
  cancelTimeout: () => void;
  settled?: Promise<void>;
}

/**
 * Drives open-model load at `rate` per second for `durationMs` and returns every request it
 * sent or meant to send, sorted by due time. Never throws for the target's failures: they are
 * records with status 0.
 *
 * @example
 *   const run = await runOpenLoad({ target: 'http://127.0.0.1:8080', rate: 100, arrival: 'poisson',
 *     durationMs: 30_000, timeoutMs: 2000, requests: [{ name: 'joke', weight: 1, method: 'GET',
 *     path: '/joke', headers: {} }], rng: seededRng(7) });
 */
export async function runOpenLoad(opts: OpenLoadOptions): Promise<LoadResult> {
  const clock = opts.clock ?? systemClock;
  const maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  if (!(opts.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`);
  if (!(maxInFlight >= 1)) throw new RangeError(`maxInFlight must be >= 1, got ${maxInFlight}`);
  const { origin, basePath } = splitTarget(opts.target);
  // Separate streams, so switching uniform ↔ poisson does not change which routes are picked.
  const arrivalRng = seededRng(Math.floor(opts.rng.next() * 0x1_0000_0000));
  const pick = mixPicker(opts.requests, seededRng(Math.floor(opts.rng.next() * 0x1_0000_0000)));
  const schedule = arrivalTimes({ kind: opts.arrival, rate: opts.rate, durationMs: opts.durationMs, rng: arrivalRng });
  const prepared = new Map(opts.requests.map((m) => [m, prepare(m, basePath)]));

  const signal = opts.signal;
  const startedAt = opts.startAt ?? clock.now();
  if (startedAt > clock.now()) {
    try {
      await clock.sleep(startedAt - clock.now(), signal);
    } catch {
      // Aborted before t = 0: nothing was sent.
    }
  }
  if (signal?.aborted) return { requests: [], startedAt, durationMs: 0, aborted: true };

  const rel = () => clock.now() - startedAt;
  const pool = new Pool(origin, {
    connections: maxInFlight,
    pipelining: 1,
    // The driver enforces its own timeout; undici's are only a backstop.
    headersTimeout: opts.timeoutMs + DRAIN_SLACK_MS,
    bodyTimeout: opts.timeoutMs + DRAIN_SLACK_MS,
  });

  const records: RequestRecord[] = [];
  const inFlight = new Set<Flight>();
  let sent = 0;
  let errors = 0;

  const record = (r: RequestRecord) => {
    records.push(r);
    opts.onRecord?.(r);
    if (!r.ok) errors++;
  };
  const finish = (f: Flight, status: number, error?: string) => {
    if (f.done) return;
    f.done = true;
    f.cancelTimeout();
    inFlight.delete(f);
    const r: RequestRecord = { due: f.due, sent: f.sent, end: rel(), status, route: f.route, ok: meetsExpectation(status, f.expect) };
    if (error !== undefined) r.error = error;
    record(r);
  };

  const send = async (f: Flight, m: RequestMix): Promise<void> => {
    const req = prepared.get(m)!;
    try {
      const res = await pool.request({ ...req, signal: f.ac.signal });
      // Read the body to its end: the response is only over then, and the connection is reused.
      for await (const _chunk of res.body) {
        /* discard */
      }
      finish(f, res.statusCode);
    } catch (err) {
      finish(f, 0, f.cause ?? errorCode(err));
    }
  };

  const dispatch = (due: number) => {
    const m = pick();
    const route = routeName(m);
    const now = rel();
    if (inFlight.size >= maxInFlight) {
      // Not silently skipped: the target (or the harness) could not keep up, and that is a result.
      record({ due, sent: now, end: now, status: 0, route, error: 'overload', ok: false });
      return;
    }
    const f: Flight = { due, sent: now, route, expect: m.expect, ac: new AbortController(), done: false, cancelTimeout: () => {} };
    f.cancelTimeout = clock.schedule(opts.timeoutMs, () => {
      f.cause ??= 'timeout';
      f.ac.abort();
    });
    inFlight.add(f);
    sent++;
    f.settled = send(f, m);
  };

  const progress = () =>
    opts.onProgress?.({ t: rel(), sent, done: records.length, inFlight: inFlight.size, errors });
  const cancelProgress = reportProgressEvery(clock, opts.onProgress !== undefined, progress);

  let aborted = false;
  let abortedAt = opts.durationMs;
  let stopTicking = () => {};
  let abortSeen = () => {};
  const abortPromise = new Promise<void>((resolve) => (abortSeen = resolve));
  const onSignal = () => {
    aborted = true;
    abortedAt = Math.min(rel(), opts.durationMs);
    stopTicking();
    abortSeen();
  };
  signal?.addEventListener('abort', onSignal, { once: true });

  // The tick loop: wake for the next due time, dispatch everything due by now (timers fire a
  // millisecond or more late; a late wake-up sends the overdue ones at once and the lag shows
  // in sent − due), then sleep until the next one.
  await new Promise<void>((scheduleDone) => {
    let next = schedule.next();
    let cancelTick = () => {};
    const tick = () => {
      const now = rel();
      while (!next.done && next.value <= now) {
        dispatch(next.value);
        next = schedule.next();
      }
      if (next.done) return scheduleDone();
      cancelTick = clock.schedule(Math.max(0, Math.ceil(next.value - rel())), tick);
    };
    stopTicking = () => {
      cancelTick();
      scheduleDone();
    };
    tick();
  });

  // Let what is in flight finish: up to its own timeout, or only briefly once aborted
  // (also when the abort comes while draining).
  if (!aborted) await drain(clock, inFlight, opts.timeoutMs + DRAIN_SLACK_MS, abortPromise);
  if (aborted) await drain(clock, inFlight, Math.min(ABORT_GRACE_MS, opts.timeoutMs));
  const leftover = aborted ? 'aborted' : 'unfinished';
  for (const f of [...inFlight]) {
    f.cause = leftover;
    finish(f, 0, leftover);
    f.ac.abort();
  }
  signal?.removeEventListener('abort', onSignal);
  cancelProgress();
  await pool.destroy();
  progress();

  records.sort((a, b) => a.due - b.due);
  return { requests: records, startedAt, durationMs: aborted ? abortedAt : opts.durationMs, aborted };
}

interface PreparedRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

function prepare(m: RequestMix, basePath: string): PreparedRequest {
  const headers = { ...m.headers };
  if (m.contentType && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = m.contentType;
  }
  const path = basePath + (m.path.startsWith('/') ? m.path : `/${m.path}`);
  const req: PreparedRequest = { path, method: m.method.toUpperCase(), headers };
  if (m.body !== undefined) req.body = m.body;
  return req;
}

/** Resolves when every flight has settled, after `ms`, or when `interrupt` resolves, whichever is first; leaves no timer behind. */
async function drain(clock: Clock, inFlight: Set<Flight>, ms: number, interrupt?: Promise<void>): Promise<void> {
  if (inFlight.size === 0) return;
  let cancel = () => {};
  const deadline = new Promise<void>((resolve) => {
    cancel = clock.schedule(ms, resolve);
  });
  const racers: Promise<unknown>[] = [Promise.allSettled([...inFlight].map((f) => f.settled)), deadline];
  if (interrupt) racers.push(interrupt);
  await Promise.race(racers);
  cancel();
}
