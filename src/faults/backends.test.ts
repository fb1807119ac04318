/**
 * The fault backends against the real thing, in-process: a fixture provider served on
 * loopback, the embedded Toxiproxy-compatible server in front of it, driven through
 * toxiproxy-node-client as a run does. Checks both what the API reports (toxics, enabled)
 * and what a client sees (status, refused, delay).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { seededRng } from '../core/rng.ts';
import { serveFixture, type FixtureServer } from '../providers/server.ts';
import { startToxiproxyServer, type ToxiproxyServer } from '../toxiproxy/server.ts';
import type { NetworkAction } from '../model/faults/kind.ts';
import { httpFaultBackend, layeredBackend, toxiproxyFaultBackend, type PlannedFault, type PlannedStep } from './backends.ts';

/** One GET on a fresh connection: status (0 when refused, reset or timed out), the error code, and how long it took. */
function probe(base: string, path = '/joke', timeoutMs = 2_000): Promise<{ status: number; error?: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(`${base}${path}`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, error: e.code ?? e.message, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, error: e.code ?? e.message, ms: performance.now() - t0 }));
  });
}

const network = (name: string, action: NetworkAction, extra: Partial<PlannedFault> = {}): PlannedFault =>
  ({ name, layer: 'network', kind: 'test', fromMs: 0, toMs: 1, keys: ['joke'], network: action, ...extra }) as PlannedFault;

const latency = (name: string, ms: number) => ({ name, type: 'latency' as const, stream: 'downstream' as const, toxicity: 1, attributes: { latency: ms, jitter: 0 } });

describe('fault backends over the embedded Toxiproxy and a fixture provider', () => {
  let fixture: FixtureServer;
  let toxiproxy: ToxiproxyServer;
  let proxy: Proxy;
  let client: Toxiproxy;
  let via: string;

  beforeAll(async () => {
    fixture = await serveFixture({ provider: 'joke', fixture: 'joke', rng: seededRng(1) });
    toxiproxy = await startToxiproxyServer({ host: '127.0.0.1', port: 0, rng: seededRng(2) });
    client = new Toxiproxy(toxiproxy.url);
    proxy = await client.createProxy({ name: 'faultline_joke', listen: '127.0.0.1:0', upstream: `127.0.0.1:${fixture.port}` });
    via = `http://${proxy.listen}`;
  });

  afterAll(async () => {
    await toxiproxy?.close();
    await fixture?.close();
  });

  const state = async () => {
    const p = await client.get('faultline_joke');
    // The client has no call to list a proxy's toxics; the API does.
    const listed = (await (await fetch(`${toxiproxy.url}/proxies/faultline_joke/toxics`)).json()) as { name: string; type: string; stream: string }[];
    return { enabled: p.enabled, toxics: listed.map((t) => `${t.name}:${t.type}/${t.stream}`).sort() };
  };

  it('keeps overlapping network faults on one proxy apart: toxics by name, downs by count', async () => {
    const backend = toxiproxyFaultBackend(new Map([['joke', proxy]]));
    const slow = network('slow', { kind: 'toxics', toxics: [latency('slow', 120)] });
    const hole = network('hole', {
      kind: 'toxics',
      toxics: (['upstream', 'downstream'] as const).map((stream) => ({ name: `hole-${stream}`, type: 'timeout' as const, stream, toxicity: 1, attributes: { timeout: 0 } })),
    });
    const downA = network('down-a', { kind: 'down' });
    const downB = network('down-b', { kind: 'down' });

    await backend.on(slow);
    const slowed = await probe(via);
    expect(slowed.status).toBe(200);
    expect(slowed.ms).toBeGreaterThanOrEqual(115);

    await backend.on(hole);
    expect(await state()).toEqual({ enabled: true, toxics: ['hole-downstream:timeout/downstream', 'hole-upstream:timeout/upstream', 'slow:latency/downstream'] });
    const held = await probe(via, '/joke', 400);
    expect(held).toMatchObject({ status: 0, error: 'TIMEOUT' }); // blackholed: the connection hangs

    await backend.on(downA);
    await backend.on(downB);
    expect((await probe(via)).error).toBe('ECONNREFUSED');
    await backend.off(downA); // down-b still holds it down
    expect(await state()).toMatchObject({ enabled: false });
    expect((await probe(via)).error).toBe('ECONNREFUSED');

    await backend.off(hole);
    expect(await state()).toEqual({ enabled: false, toxics: ['slow:latency/downstream'] });
    await backend.off(downB);
    expect(await state()).toEqual({ enabled: true, toxics: ['slow:latency/downstream'] });
    const stillSlow = await probe(via);
    expect(stillSlow.status).toBe(200);
    expect(stillSlow.ms).toBeGreaterThanOrEqual(115);

    await backend.off(slow);
    expect(await state()).toEqual({ enabled: true, toxics: [] });
    expect((await probe(via)).ms).toBeLessThan(100);
  });

  it('re-applies a ramp step by updating the toxic in place (toxic.update), not by re-adding it', async () => {
    const backend = toxiproxyFaultBackend(new Map([['joke', proxy]]));
    const action = (ms: number): NetworkAction => ({ kind: 'toxics', toxics: [latency('ramp', ms)] });
    const steps: PlannedStep[] = [0, 150, 300].map((ms, k) => ({ atMs: k, value: ms, layer: 'network', network: action(ms) }));
    const f = network('ramp', action(0), { ramp: { param: 'latency', steps } });
    await backend.on(f);
    expect((await probe(via)).ms).toBeLessThan(100);
    await backend.step!(f, 1);
    expect((await proxy.getToxic('ramp')).attributes).toMatchObject({ latency: 150 });
    expect((await probe(via)).ms).toBeGreaterThanOrEqual(145);
    await backend.step!(f, 2);
    expect((await probe(via)).ms).toBeGreaterThanOrEqual(295);
    await backend.off(f);
    expect(await state()).toEqual({ enabled: true, toxics: [] });
  });

  it('lets an HTTP fault and a network fault on the same provider act together and end separately', async () => {
    const backend = layeredBackend({
      http: httpFaultBackend(async (_key, faults) => {
        fixture.setFaults(faults);
        return performance.timeOrigin + performance.now();
      }),
      network: toxiproxyFaultBackend(new Map([['joke', proxy]])),
    });
    const errors = { name: 'errors', layer: 'http', kind: 'error', fromMs: 0, toMs: 1, keys: ['joke'], http: { name: 'errors', kind: 'error', rate: 1, status: 503 } } as PlannedFault;
    const slow = network('lag', { kind: 'toxics', toxics: [latency('lag', 120)] });

    await backend.on(errors);
    await backend.on(slow);
    const both = await probe(via);
    expect(both.status).toBe(503);
    expect(both.ms).toBeGreaterThanOrEqual(115);

    await backend.off(errors);
    const slowOnly = await probe(via);
    expect(slowOnly.status).toBe(200);
    expect(slowOnly.ms).toBeGreaterThanOrEqual(115);

    await backend.on(errors);
    await backend.off(slow);
    const errorsOnly = await probe(via);
    expect(errorsOnly.status).toBe(503);
    expect(errorsOnly.ms).toBeLessThan(100);

    await backend.off(errors);
    expect((await probe(via)).status).toBe(200);
  });
});
