/**
 * The modelled clients: the load drivers' behaviour (src/load/open.ts, closed.ts) without
 * sockets, into the router's `handle` in virtual time.
 *
 * Open model: the live schedule itself (`arrivalTimes`, `mixPicker`) from the same seeded
 * streams as `runOpenLoad` (the run's `forkRng(seed, 'load')`, then an arrival stream and a
 * pick stream), so a simulated run's requests are due when the live run's are. Each request
 * crosses the client leg, the router answers, the answer crosses back; the client gives up at
 * its timeout (`load.timeoutMs`), records status 0 `timeout` as the live driver does, and its
 * abort reaches the router one leg later (the connection closing). More than the live
 * driver's `DEFAULT_MAX_IN_FLIGHT` in flight: status 0 `overload`, as live. A virtual client
 * is never late, so `sent` = `due`.
 *
 * Closed model: `connections` loops, each sending its next request (due = sent) when its last
 * one ends, until the duration is over; requests still in flight then are not recorded (as
 * closed.ts: the harness stopping is not the target's failure).
 */
import type { Clock } from '../core/clock.ts';
import { sample, type Distribution } from '../core/distributions.ts';
import { forkRng, seededRng, type Rng } from '../core/rng.ts';
import { arrivalTimes, mixPicker, routeName, type RequestMix } from '../load/arrivals.ts';
import { DEFAULT_MAX_IN_FLIGHT } from '../load/open.ts';
import { errorCode } from '../load/types.ts';
import type { RequestRecord } from '../model/run.ts';
import type { Scenario } from '../model/scenario.ts';
import { meetsExpectation } from '../model/success.ts';
import type { Router } from '../router/index.ts';
import type { SimClock } from './engine.ts';

export interface ClientModel {
  /** Client ↔ router, each way. */
  clientLeg: Distribution;
  /** Leg delay draws (the schedule and the picks come from the live driver's own streams). */
  rng: Rng;
}

/** As the live open driver: in-flight requests get their timeout plus this past the schedule's end. */
const DRAIN_SLACK_MS = 1000;
const encoder = new TextEncoder();

interface Flight {
  due: number;
  route: string;
  expect: RequestMix['expect'];
  done: boolean;
  cause?: 'timeout' | 'unfinished';
  ac: AbortController;
  cancelTimeout: () => void;
  finish(status: number, error?: string): void;
}

export async function driveClients(scenario: Scenario, router: Router, clock: SimClock, t0: number, model: ClientModel): Promise<{ requests: RequestRecord[] }> {
  const load = scenario.load;
  const records: RequestRecord[] = [];
  const inFlight = new Set<Flight>();
  const rel = () => clock.now() - t0;
  const leg = () => Math.max(0, sample(model.clientLeg, model.rng));

  /** Sends one request due now; `onEnd` runs once it has ended. One cut off at the run's end is recorded only if `recordUnfinished`. */
  const send = (m: RequestMix, recordUnfinished: boolean, onEnd?: () => void): Flight => {
    const due = rel();
    const f: Flight = { due, route: routeName(m), expect: m.expect, done: false, ac: new AbortController(), cancelTimeout: () => {}, finish: () => {} };
    const finish = (f.finish = (status: number, error?: string) => {
      if (f.done) return;
      f.done = true;
      f.cancelTimeout();
      inFlight.delete(f);
      if (recordUnfinished || f.cause !== 'unfinished') {
        const r: RequestRecord = { due: f.due, sent: f.due, end: rel(), status, route: f.route, ok: meetsExpectation(status, f.expect) };
        if (error !== undefined) r.error = error;
        records.push(r);
      }
      onEnd?.();
    });
    f.cancelTimeout = clock.schedule(load.timeoutMs, () => {
      f.cause = 'timeout';
      finish(0, 'timeout');
      // The router sees the connection close one leg later.
      clock.schedule(leg(), () => f.ac.abort(new DOMException('client gone', 'AbortError')));
    });
    inFlight.add(f);
    const headers: Record<string, string> = { ...m.headers };
    if (m.contentType && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = m.contentType;
    const path = m.path.startsWith('/') ? m.path : `/${m.path}`;
    clock.schedule(leg(), () => {
      if (f.done) return;
      router
        .handle({
          method: m.method.toUpperCase(),
          path,
          headers,
          ...(m.body !== undefined && { body: encoder.encode(m.body) }),
          signal: f.ac.signal,
          remoteAddress: '127.0.0.1',
        })
        .then(
          (res) => {
            if (!f.done) clock.schedule(leg(), () => finish(res.status));
          },
          (err: unknown) => {
            if (!f.done) clock.schedule(leg(), () => finish(0, errorCode(err)));
          },
        );
    });
    return f;
  };
  const cutLeftovers = (cause: 'unfinished') => {
    for (const f of [...inFlight]) {
      f.cause = cause;
      f.finish(0, cause);
      f.ac.abort(new DOMException('run over', 'AbortError'));
    }
  };

  const rng = forkRng(scenario.seed, 'load');
  if (load.model === 'open') {
    // The live driver's streams, drawn in its order (src/load/open.ts): arrivals, then picks.
    const arrivalRng = seededRng(Math.floor(rng.next() * 0x1_0000_0000));
    const pick = mixPicker(load.requests, seededRng(Math.floor(rng.next() * 0x1_0000_0000)));
    const schedule = arrivalTimes({ kind: load.arrival, rate: load.rate, durationMs: load.durationMs, rng: arrivalRng });
    let scheduleDone = false;
    const arm = () => {
      const next = schedule.next();
      if (next.done) {
        scheduleDone = true;
        return;
      }
      clock.schedule(t0 + next.value - clock.now(), () => {
        const m = pick();
        if (inFlight.size >= DEFAULT_MAX_IN_FLIGHT) {
          const now = rel();
          records.push({ due: now, sent: now, end: now, status: 0, route: routeName(m), error: 'overload', ok: false });
        } else send(m, true);
        arm();
      });
    };
    arm();
    await clock.runUntil(t0 + load.durationMs + load.timeoutMs + DRAIN_SLACK_MS, () => scheduleDone && inFlight.size === 0);
    cutLeftovers('unfinished');
  } else {
    // autocannon's order of picks is a fixed cycle (closed.ts); a seeded picker is the same mix.
    const pick = mixPicker(load.requests, seededRng(Math.floor(rng.next() * 0x1_0000_0000)));
    let over = false;
    const loop = () => {
      if (over) return;
      send(pick(), false, loop);
    };
    for (let i = 0; i < load.connections; i++) loop();
    clock.schedule(load.durationMs, () => (over = true));
    await clock.runUntil(t0 + load.durationMs);
    over = true;
    cutLeftovers('unfinished');
  }
  records.sort((a, b) => a.due - b.due);
  return { requests: records };
}
