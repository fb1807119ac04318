import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/rng.ts';
import type { RequestMix } from './arrivals.ts';
import { runClosedLoad } from './closed.ts';
import { freePort, serversClosedAfterEach } from './testing.ts';

const get = (path: string, name: string, weight = 1): RequestMix => ({ name, weight, method: 'GET', path, headers: {} });

const server = serversClosedAfterEach();

describe('runClosedLoad (autocannon)', () => {
  it('records every answer, non-2xx included, each under its own route', async () => {
    // A 5 ms service time caps the run near 2 × 200 requests/s: flat out, autocannon would
    // take a whole core from the timing tests running beside it.
    const s = await server((req, res) => {
      res.statusCode = req.url === '/api/fail' ? 503 : 200;
      setTimeout(() => res.end(req.url === '/api/fail' ? 'busy' : 'x'.repeat(1024)), 5);
    });
    const run = await runClosedLoad({
      target: `${s.url}/api`, connections: 2, durationMs: 1000, timeoutMs: 1000,
      requests: [get('/ok', 'ok', 3), get('/fail', 'fail', 1)], rng: seededRng(11),
    });
    expect(run.aborted).toBe(false);
    const failShare = run.requests.filter((r) => r.route === 'fail').length / run.requests.length;
    console.log(`closed: ${run.requests.length} records, ${s.arrivals.length} at the server, ${run.unfinished} unfinished, ${run.afterEnd} sent after the end; fail share ${(failShare * 100).toFixed(1)} %`);
    expect(run.requests.length).toBeGreaterThan(100);
    // The route a record names is the one the server saw: each status matches its route.
    for (const r of run.requests) {
      expect(r.status).toBe(r.route === 'fail' ? 503 : 200);
      expect(r.ok).toBe(r.route !== 'fail'); // the default rule: 2xx and 3xx are successes
      expect(r.due).toBe(r.sent); // closed model: due when the connection is free
      expect(r.end).toBeGreaterThanOrEqual(r.sent);
    }
    // The 3:1 mix is exact over each 100-request cycle of a connection (tested in arrivals.test);
    // only each connection's last, partial cycle is a shuffled sample: at n ≈ 400 its effect
    // on the share has sd < 0.02, so ±0.10 is over 5 sd.
    expect(Math.abs(failShare - 0.25)).toBeLessThan(0.1);
    // Every request the server received is recorded, bar those cut off or sent after the end
    // (and the last of those may not have reached the server before autocannon closed).
    expect(s.arrivals.length).toBeGreaterThanOrEqual(run.requests.length);
    expect(s.arrivals.length).toBeLessThanOrEqual(run.requests.length + run.unfinished + run.afterEnd);
    expect(s.arrivals.length).toBeGreaterThanOrEqual(run.requests.length + run.afterEnd - 2);
  });

  it('a request that gets no answer becomes status 0 `timeout`, timed from its send', async () => {
    const s = await server(() => {
      /* never answers */
    });
    const run = await runClosedLoad({
      target: s.url, connections: 1, durationMs: 2500, timeoutMs: 1000,
      requests: [get('/hang', 'hang')], rng: seededRng(12),
    });
    expect(run.requests).toHaveLength(2);
    for (const r of run.requests) {
      expect(r).toMatchObject({ status: 0, error: 'timeout', route: 'hang' });
      expect(r.end - r.due).toBeGreaterThanOrEqual(990);
      expect(r.end - r.due).toBeLessThan(1500);
    }
    expect(run.unfinished).toBe(1);
  });

  it('abort stops the run and marks what was in flight', async () => {
    const s = await server(() => {
      /* never answers */
    });
    const ac = new AbortController();
    const stop = setTimeout(() => ac.abort(), 300);
    const run = await runClosedLoad({
      target: s.url, connections: 3, durationMs: 5000, timeoutMs: 5000,
      requests: [get('/hang', 'hang')], rng: seededRng(13), signal: ac.signal,
    });
    clearTimeout(stop);
    expect(run.aborted).toBe(true);
    expect(run.durationMs).toBeLessThan(800);
    expect(run.requests).toHaveLength(3);
    for (const r of run.requests) expect(r).toMatchObject({ status: 0, error: 'aborted' });
  });
});

describe('runClosedLoad: connection failures', () => {
  it('a connection the server cuts becomes a status-0 `closed` record', async () => {
    const s = await server((req, res) => {
      if (req.url === '/drop') setTimeout(() => req.socket.destroy(), 5);
      else setTimeout(() => res.end('ok'), 5);
    });
    const run = await runClosedLoad({
      target: s.url, connections: 1, durationMs: 300, timeoutMs: 1000,
      requests: [get('/ok', 'ok'), get('/drop', 'drop')], rng: seededRng(14),
    });
    const byError = new Map<string, number>();
    for (const r of run.requests) byError.set(`${r.route} ${r.status} ${r.error ?? ''}`, (byError.get(`${r.route} ${r.status} ${r.error ?? ''}`) ?? 0) + 1);
    console.log(`cut: ${[...byError].map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    for (const r of run.requests) {
      if (r.route === 'ok') expect(r.status).toBe(200);
      else expect(r.status).toBe(0);
    }
    expect(run.requests.some((r) => r.route === 'drop')).toBe(true);
  });

  it('connection refused becomes status 0 `ECONNREFUSED`', async () => {
    const run = await runClosedLoad({
      target: `http://127.0.0.1:${await freePort()}`, connections: 1, durationMs: 100, timeoutMs: 1000,
      requests: [get('/a', 'a')], rng: seededRng(15),
    });
    // autocannon reconnects at once after a refusal, so one connection makes many attempts.
    console.log(`refused: ${run.requests.length} records in 100 ms`);
    expect(run.requests.length).toBeGreaterThan(0);
    for (const r of run.requests) expect(r).toMatchObject({ status: 0, error: 'ECONNREFUSED', route: 'a' });
  });
});
