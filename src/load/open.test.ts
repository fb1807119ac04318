import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { buildSeries } from '../collect/series.ts';
import { systemClock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import type { RequestMix } from './arrivals.ts';
import { runOpenLoad } from './open.ts';
import { binCounts, chiSquareUniform, freePort, percentile, serversClosedAfterEach } from './testing.ts';

const get = (path: string, name = path, weight = 1): RequestMix => ({ name, weight, method: 'GET', path, headers: {} });

const server = serversClosedAfterEach();

/**
 * The spread tests judge the driver's pacing at the server, and both share this event loop
 * with whatever else the 2-core machine runs. A run whose loop was starved (seen as a large
 * event-loop delay, printed with the figures) gets two more tries; a driver that bunches its
 * arrivals fails all three.
 */
const TIMING_RETRY = { retry: 2 };

function loopDelay() {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  return () => {
    h.disable();
    return `event-loop delay p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`;
  };
}

/** A body worth draining, so a driver that leaves bodies unread would leak connections. */
const BODY = 'x'.repeat(2048);

describe('runOpenLoad: arrivals are spread over each second', () => {
  it('uniform 200/s for 3 s: no 100 ms bin at the server holds more than 1.5× its share', TIMING_RETRY, async () => {
    const s = await server((_req, res) => res.end(BODY));
    const delay = loopDelay();
    const run = await runOpenLoad({
      target: s.url, rate: 200, arrival: 'uniform', durationMs: 3000, timeoutMs: 2000,
      requests: [get('/a')], rng: seededRng(1),
    });
    expect(run.aborted).toBe(false);
    expect(run.requests).toHaveLength(600);
    expect(run.requests.every((r) => r.status === 200)).toBe(true);
    expect(s.arrivals).toHaveLength(600);

    const bins = binCounts(s.arrivals.map((a) => a.at - run.startedAt), 100, 3000);
    const share = 600 / bins.length; // 20 per 100 ms
    const maxShare = Math.max(...bins) / share;
    // Folded onto the second: autocannon's herd put 84 % in the first 100 ms of each second.
    const phase = binCounts(s.arrivals.map((a) => (a.at - run.startedAt) % 1000), 100, 1000);
    const firstTenth = phase[0]! / 600;
    const lag = percentile(run.requests.map((r) => r.sent - r.due), 0.99);
    const figures = `uniform: max 100 ms bin = ${(maxShare * 100).toFixed(0)} % of its share (${Math.max(...bins)}/${share}); first 100 ms of each second holds ${(firstTenth * 100).toFixed(1)} %; p99 driver lag ${lag.toFixed(2)} ms; ${s.connections()} connections; ${delay()}; bins ${bins.join(' ')}`;
    console.log(figures);
    expect(maxShare, figures).toBeLessThanOrEqual(1.5);
    expect(firstTenth).toBeLessThan(0.15);
    // Bodies drained → connections reused: far fewer sockets than requests.
    expect(s.connections()).toBeLessThan(30);
  });

  it('poisson 200/s for 3 s: bin counts fit a uniform spread (chi-square, α = 0.001)', TIMING_RETRY, async () => {
    const s = await server((_req, res) => res.end(BODY));
    const delay = loopDelay();
    const run = await runOpenLoad({
      target: s.url, rate: 200, arrival: 'poisson', durationMs: 3000, timeoutMs: 2000,
      requests: [get('/a')], rng: seededRng(2),
    });
    const n = s.arrivals.length;
    // ~600 expected; a Poisson count over 3 s at 200/s has sd ≈ 24.5, so ±5 sd is 477..723.
    expect(n).toBeGreaterThan(477);
    expect(n).toBeLessThan(723);
    expect(run.requests).toHaveLength(n);
    // Given n arrivals, a Poisson process places them independently and uniformly over the
    // run, so counts in k equal bins are multinomial and Pearson's statistic is ~ chi²(k − 1).
    // Critical values at 99.9 %: chi²(29) = 58.30, chi²(9) = 27.88. A herd of 84 % in the first
    // tenth of each second would score in the thousands.
    const rel = s.arrivals.map((a) => a.at - run.startedAt);
    const bins = binCounts(rel, 100, 3000);
    const phase = binCounts(rel.map((t) => t % 1000), 100, 1000);
    const chiBins = chiSquareUniform(bins);
    const chiPhase = chiSquareUniform(phase);
    const figures = `poisson: n = ${n}; chi² over 30 bins = ${chiBins.toFixed(1)} (crit 58.30); over the 10 tenths of a second = ${chiPhase.toFixed(1)} (crit 27.88); max bin ${Math.max(...bins)} vs mean ${(n / 30).toFixed(1)}; ${delay()}; bins ${bins.join(' ')}`;
    console.log(figures);
    expect(chiBins, figures).toBeLessThan(58.3);
    expect(chiPhase, figures).toBeLessThan(27.88);
  });
});

describe('runOpenLoad: latency runs from the due time', () => {
  it('a target stalled for one second (of 4 s at 100/s) shows that second in p99', async () => {
    const startAt = systemClock.now() + 100;
    const held: (() => void)[] = [];
    let released = false;
    const release = setTimeout(() => {
      released = true;
      for (const h of held.splice(0)) h();
    }, startAt + 2000 - systemClock.now());
    const s = await server((_req, res, a) => {
      const t = a.at - startAt;
      // Everything arriving in [1 s, 2 s) waits until t = 2 s: a GC pause, a lock, a full pool.
      if (t >= 1000 && t < 2000 && !released) held.push(() => res.end(BODY));
      else res.end(BODY);
    });
    const run = await runOpenLoad({
      target: s.url, rate: 100, arrival: 'uniform', durationMs: 4000, timeoutMs: 3000,
      requests: [get('/a')], rng: seededRng(3), startAt,
    });
    clearTimeout(release);
    expect(run.requests).toHaveLength(400);
    expect(run.requests.every((r) => r.status === 200)).toBe(true);

    const latency = run.requests.map((r) => r.end - r.due);
    const p99 = percentile(latency, 0.99);
    const series = buildSeries(run.requests, [], run.durationMs);
    console.log(`stall: whole-run p99 = ${p99.toFixed(0)} ms; per-second p99 = ${series.p99.map((v) => v?.toFixed(0)).join(', ')} ms`);
    expect(p99).toBeGreaterThanOrEqual(900);
    expect(series.p99[1]).toBeGreaterThanOrEqual(900);
    // Open model: the stall did not slow the arrivals (100 in the stalled second, as in every other).
    expect(run.requests.filter((r) => r.due >= 1000 && r.due < 2000)).toHaveLength(100);
    // Each stalled request carries its wait: answered at ~2 s, so latency ≈ 2000 − due.
    const stalled = run.requests.filter((r) => r.sent >= 1010 && r.sent < 1990);
    expect(stalled.length).toBeGreaterThan(90);
    for (const r of stalled) {
      expect(r.end - r.due).toBeGreaterThanOrEqual(2000 - r.due - 5);
      expect(r.end - r.due).toBeLessThan(2000 - r.due + 500);
    }
    // The seconds around it are fast (the bound leaves room for a starved event loop, not for a stall).
    expect(series.p99[0]).toBeLessThan(500);
    expect(series.p99[3]).toBeLessThan(500);
  });

  it('a driver frozen for one second: the late-sent requests are charged from their due time', async () => {
    // The event loop this test runs in (driver and target alike) blocks for 1 s at t = 1 s,
    // like a long GC pause. Requests due in that second go out late, all at once; latency from
    // send would call them fast, latency from due must not.
    const startAt = systemClock.now() + 100;
    const freeze = setTimeout(() => {
      const until = systemClock.now() + 1000;
      while (systemClock.now() < until) {
        /* busy */
      }
    }, startAt + 1000 - systemClock.now());
    const s = await server((_req, res) => res.end(BODY));
    const run = await runOpenLoad({
      target: s.url, rate: 100, arrival: 'uniform', durationMs: 3000, timeoutMs: 3000,
      requests: [get('/a')], rng: seededRng(4), startAt,
    });
    clearTimeout(freeze);
    const late = run.requests.filter((r) => r.sent - r.due > 100);
    const fromDue = percentile(run.requests.map((r) => r.end - r.due), 0.99);
    const fromSend = percentile(run.requests.map((r) => r.end - r.sent), 0.99);
    console.log(`freeze: ${late.length} requests sent late; p99 from due = ${fromDue.toFixed(0)} ms, from send = ${fromSend.toFixed(0)} ms`);
    expect(late.length).toBeGreaterThan(80);
    expect(fromDue).toBeGreaterThanOrEqual(900);
    for (const r of run.requests) expect(r.end - r.due).toBeGreaterThanOrEqual(r.sent - r.due);
  });
});

describe('runOpenLoad: failures are records, timed from due', () => {
  it('a request that gets no answer becomes status 0 `timeout` after timeoutMs', async () => {
    const s = await server(() => {
      /* never answers */
    });
    const run = await runOpenLoad({
      target: s.url, rate: 20, arrival: 'uniform', durationMs: 500, timeoutMs: 300,
      requests: [get('/hang')], rng: seededRng(5),
    });
    expect(run.requests).toHaveLength(10);
    for (const r of run.requests) {
      expect(r).toMatchObject({ status: 0, error: 'timeout', route: '/hang' });
      expect(r.end - r.due).toBeGreaterThanOrEqual(300);
      expect(r.end - r.due).toBeLessThan(800);
    }
  });

  it('connection refused becomes status 0 `ECONNREFUSED`', async () => {
    const port = await freePort();
    const run = await runOpenLoad({
      target: `http://127.0.0.1:${port}`, rate: 20, arrival: 'uniform', durationMs: 500, timeoutMs: 1000,
      requests: [get('/a')], rng: seededRng(6),
    });
    expect(run.requests).toHaveLength(10);
    for (const r of run.requests) {
      expect(r).toMatchObject({ status: 0, error: 'ECONNREFUSED' });
      expect(r.sent).toBeGreaterThanOrEqual(r.due);
      expect(r.end).toBeGreaterThanOrEqual(r.sent);
    }
  });

  it('arrivals over maxInFlight are recorded as `overload`, not skipped', async () => {
    const s = await server(() => {
      /* never answers */
    });
    const run = await runOpenLoad({
      target: s.url, rate: 50, arrival: 'uniform', durationMs: 400, timeoutMs: 1000, maxInFlight: 5,
      requests: [get('/hang')], rng: seededRng(7),
    });
    expect(run.requests).toHaveLength(20);
    expect(run.requests.filter((r) => r.error === 'overload')).toHaveLength(15);
    expect(run.requests.filter((r) => r.error === 'timeout')).toHaveLength(5);
  });

  it('non-2xx answers are records with their status and latency', async () => {
    const s = await server((req, res) => {
      res.statusCode = req.url === '/base/missing' ? 404 : 503;
      res.end();
    });
    const run = await runOpenLoad({
      target: `${s.url}/base/`, rate: 40, arrival: 'uniform', durationMs: 500, timeoutMs: 1000,
      requests: [get('/missing', 'missing'), get('/busy', 'busy')], rng: seededRng(8),
    });
    expect(run.requests).toHaveLength(20);
    expect(new Set(s.arrivals.map((a) => a.path))).toEqual(new Set(['/base/missing', '/base/busy']));
    for (const r of run.requests) expect(r.status).toBe(r.route === 'missing' ? 404 : 503);
  });

  it('marks each record with whether it met its request\'s expectation: a wrong path (404) is no success', async () => {
    const s = await server((req, res) => {
      res.statusCode = req.url === '/jokes/random' ? 200 : req.url === '/limited' ? 429 : 404;
      res.end();
    });
    const seen: number[] = [];
    const run = await runOpenLoad({
      target: s.url, rate: 60, arrival: 'uniform', durationMs: 500, timeoutMs: 1000,
      requests: [get('/jokes/random', 'ok'), get('/joke/random', 'wrong-path'), { ...get('/limited', 'limited'), expect: ['2xx', 429] }],
      rng: seededRng(21), onProgress: (p) => seen.push(p.errors),
    });
    expect(run.requests).toHaveLength(30);
    for (const r of run.requests) expect(r.ok).toBe(r.route !== 'wrong-path');
    // The progress line's error count uses the same rule.
    expect(seen.at(-1)).toBe(run.requests.filter((r) => r.route === 'wrong-path').length);
  });
});

describe('runOpenLoad: abort', () => {
  it('returns the partial records, marks the unfinished ones, and says it was aborted', async () => {
    const s = await server((req, res) => {
      if (req.url !== '/hang') res.end(BODY);
    });
    const ac = new AbortController();
    const t0 = systemClock.now();
    const stop = setTimeout(() => ac.abort(), 1000);
    const run = await runOpenLoad({
      target: s.url, rate: 50, arrival: 'uniform', durationMs: 5000, timeoutMs: 10_000,
      requests: [get('/ok', 'ok'), get('/hang', 'hang')], rng: seededRng(9), signal: ac.signal,
    });
    clearTimeout(stop);
    const took = systemClock.now() - t0;
    expect(run.aborted).toBe(true);
    // Stopped at ~1 s, then at most 1 s of grace for the ones in flight.
    expect(run.durationMs).toBeGreaterThan(900);
    expect(run.durationMs).toBeLessThan(1500);
    expect(took).toBeLessThan(3000);
    expect(run.requests.length).toBeGreaterThan(40);
    expect(run.requests.length).toBeLessThan(70);
    for (const r of run.requests) {
      expect(r.due).toBeLessThanOrEqual(run.durationMs);
      if (r.route === 'hang') expect(r).toMatchObject({ status: 0, error: 'aborted' });
      else expect(r.status).toBe(200);
    }
    expect(run.requests.some((r) => r.route === 'hang')).toBe(true);
  });

  it('an already-aborted signal sends nothing', async () => {
    const s = await server((_req, res) => res.end());
    const run = await runOpenLoad({
      target: s.url, rate: 50, arrival: 'uniform', durationMs: 1000, timeoutMs: 1000,
      requests: [get('/a')], rng: seededRng(10), signal: AbortSignal.abort(),
    });
    expect(run).toMatchObject({ aborted: true, requests: [] });
    expect(s.arrivals).toHaveLength(0);
  });
});
