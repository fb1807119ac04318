/**
 * The fault-kind registry on its own: every definition is listed once and agrees with its
 * schema branch, the planner's step scopes request kinds only, and each HTTP action runs
 * without a server (a fake clock and a stub for the rest of the chain).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { seededRng } from '../../core/rng.ts';
import type { FaultContext } from './http-stage.ts';
import { FAULT_HEADER, isStreamed } from './http-stage.ts';
import { actsOnRequests, FAULT_KINDS, httpAct, listedKinds, planAction, planHttp, rampFields, type FaultSpec, type HttpFault, type ScopedHttpFault } from './index.ts';

const common = { name: 'f', target: { provider: 'p', route: '/x' }, fromMs: 0, toMs: 1000 };

function ctx(overrides: Partial<FaultContext> = {}): FaultContext & { clock: FakeClock } {
  return {
    rng: seededRng(1),
    clock: new FakeClock(),
    signal: new AbortController().signal,
    next: async () => new Response('{"joke":"knock knock"}', { status: 200, headers: { 'content-type': 'application/json' } }),
    ...overrides,
  } as FaultContext & { clock: FakeClock };
}

describe('the fault-kind registry', () => {
  it('lists each layer and kind once, each with its own schema branch', () => {
    const keys = FAULT_KINDS.map((d) => `${d.layer}:${d.kind}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const d of FAULT_KINDS) {
      const props = (d.schema as unknown as { properties: Record<string, { const?: unknown }> }).properties;
      expect([props.layer?.const, props.kind?.const]).toEqual([d.layer, d.kind]);
    }
  });

  it('names the kinds of each layer for the fault description, in the union order', () => {
    expect(listedKinds('http')).toEqual(FAULT_KINDS.filter((d) => d.layer === 'http').map((d) => d.kind));
    expect(listedKinds('network').at(-1)).toBe('and outage (with a `shape`)');
  });

  it('ramps only fields its schema branch has (by the file name of the parameter)', () => {
    for (const d of FAULT_KINDS) {
      if (typeof d.ramps === 'function') continue;
      const props = (d.schema as unknown as { properties: Record<string, unknown> }).properties;
      for (const param of Object.keys(d.ramps)) expect(props, `${d.layer} ${d.kind} ramps ${param}`).toHaveProperty(param);
    }
    expect(Object.keys(rampFields({ layer: 'network', kind: 'outage', shape: 'slow' }))).toEqual(['latency', 'kbps', 'toxicity']);
    expect(rampFields({ layer: 'http', kind: 'nonsense' })).toEqual({});
  });

  it('scopes the plan of a request kind (name, rate, route, match), not that of an endpoint kind', () => {
    const error: HttpFault = { ...common, layer: 'http', kind: 'error', rate: 0.5, status: 502 };
    expect(planHttp(error)).toEqual({ name: 'f', rate: 0.5, route: '/x', kind: 'error', status: 502 });
    const capacity: HttpFault = { ...common, layer: 'http', kind: 'capacity', concurrency: 2 };
    expect(planHttp(capacity)).toEqual({ name: 'f', kind: 'capacity', concurrency: 2 });
    expect(actsOnRequests(planHttp(error))).toBe(true);
    expect(actsOnRequests(planHttp(capacity))).toBe(false);
    const slicer: FaultSpec = { ...common, layer: 'network', kind: 'slicer', stream: 'upstream', toxicity: 1, averageSize: 10, sizeVariation: 2, delayMs: 1.5 };
    expect(planAction(slicer)).toEqual({
      layer: 'network',
      network: { kind: 'toxics', toxics: [{ name: 'f', stream: 'upstream', toxicity: 1, type: 'slicer', attributes: { average_size: 10, size_variation: 2, delay: 1500 } }] },
    });
  });
});

describe('HTTP actions without a server', () => {
  const request = () => new Request('http://provider.test/x');
  const act = (f: ScopedHttpFault, c: FaultContext) => httpAct(f)(f, request(), c);

  it('error: the status, the fault header and Retry-After in whole seconds', async () => {
    const res = (await act({ name: 'e', rate: 1, kind: 'error', status: 429, retryAfterMs: 1500 }, ctx()))!;
    expect([res.status, res.headers.get(FAULT_HEADER), res.headers.get('retry-after'), res.headers.get('content-type')]).toEqual([429, 'e', '2', 'application/json']);
    expect(await res.json()).toEqual({ error: 'injected fault', fault: 'e', status: 429 });
  });

  it('latency: falls through after the delay, on the fault clock', async () => {
    const c = ctx();
    let done = false;
    const p = act({ name: 'l', rate: 1, kind: 'latency', delay: { distribution: 'fixed', value: 300 } }, c).then((r) => ((done = true), r));
    await c.clock.advanceAsync(299);
    expect(done).toBe(false);
    await c.clock.advanceAsync(1);
    expect(await p).toBeUndefined();
  });

  it('hang: held until the fault ends, then a network error', async () => {
    const stop = new AbortController();
    const p = act({ name: 'h', rate: 1, kind: 'hang' }, ctx({ signal: stop.signal }));
    stop.abort();
    expect((await p)!.type).toBe('error');
  });

  it('truncate: a streamed response with the full Content-Length', async () => {
    const res = (await act({ name: 't', rate: 1, kind: 'truncate', bytes: 3 }, ctx()))!;
    expect(isStreamed(res)).toBe(true);
    expect(res.headers.get('content-length')).toBe('22');
    await expect(res.text()).rejects.toThrow();
  });

  it('passes on the lack of a real response when the rest of the chain gives none', async () => {
    expect(await act({ name: 'm', rate: 1, kind: 'malformed', style: 'truncated' }, ctx({ next: async () => undefined }))).toBeUndefined();
  });
});
