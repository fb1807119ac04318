/**
 * The simulated fault backend, one modelled kind at a time: each fault planned by the live
 * planner from a scenario, switched on by the backend the live timeline drives, seen through
 * the simulated transport, then switched off again.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/rng.ts';
import { planFaults } from '../faults/plan.ts';
import type { PlannedFault } from '../faults/backends.ts';
import { loadScenario } from '../api.ts';
import type { Provider } from '../router/index.ts';
import { SimClock } from './engine.ts';
import { PathState, simFaultBackend } from './network.ts';
import { SimProvider } from './provider.ts';
import { simTransport } from './transport.ts';

const fixed = (value: number) => ({ distribution: 'fixed' as const, value });
const window = { from: '1s', to: '2s' };

async function planned(faults: Record<string, unknown>[], capacity?: Record<string, unknown>): Promise<PlannedFault[]> {
  const scenario = await loadScenario(
    {
      name: 'sim-faults',
      target: { router: 'fixtures/routers/joke.yaml' },
      providers: [{ name: 'joke', fixture: 'joke', ...(capacity && { capacity }) }],
      load: { model: 'open', rate: '1/s', duration: '5s', timeout: '2s', requests: [{ name: 'joke', path: '/joke' }] },
      faults: faults.map((f, i) => ({ name: `f${i}`, target: { provider: 'joke' }, ...window, ...f })),
      slos: [{ name: 'availability', expr: 'availability >= 0%' }],
    } as never,
    { cwd: process.cwd() },
  );
  return planFaults(scenario);
}

function world(capacity?: { concurrency: number; queue?: number; serviceTime: ReturnType<typeof fixed> }) {
  const clock = new SimClock(0);
  const provider = new SimProvider({ key: 'joke', provider: 'joke', fixture: 'joke', clock, rng: seededRng(1), overhead: fixed(0), ...(capacity && { capacity }) }, 0);
  const path = new PathState();
  const providers = new Map([['joke', provider]]);
  const paths = new Map([['joke', path]]);
  const transport = simTransport({ clock, rng: seededRng(2), network: { clientLeg: fixed(0), upstreamLeg: fixed(1) }, providers, paths });
  const backend = simFaultBackend(providers, paths, clock, 0);
  const target: Provider = { key: 'joke', name: 'joke', url: provider.origin };
  /** One call now, aborted after `giveUpMs`; its outcome and when (ms after it was sent). */
  const call = async (giveUpMs = 500) => {
    const start = clock.now();
    const ac = new AbortController();
    const cancel = clock.schedule(giveUpMs, () => ac.abort(new Error('gave up')));
    const got = transport.send(target, { method: 'GET', path: '/joke', headers: {}, signal: ac.signal }).then(
      (res) => ({ status: res.status, retryAfter: res.headers['retry-after'], ms: clock.now() - start }),
      (err: { code?: string; message?: string }) => ({ error: err.code ?? err.message, ms: clock.now() - start }),
    );
    await clock.runUntil(start + giveUpMs + 10);
    cancel();
    return got;
  };
  return { clock, provider, backend, call };
}

describe('the simulated fault backend', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['http error: status and Retry-After', { layer: 'http', kind: 'error', status: 503, retryAfter: '2s' }, { status: 503, retryAfter: '2', ms: 2 }],
    ['http error 429', { layer: 'http', kind: 'error', status: 429 }, { status: 429, ms: 2 }],
    ['http latency', { layer: 'http', kind: 'latency', latency: '120ms' }, { status: 200, ms: 122 }],
    ['http hang: held until the caller gives up', { layer: 'http', kind: 'hang' }, { error: 'gave up', ms: 500 }],
    ['http reset: the connection dropped', { layer: 'http', kind: 'reset' }, { error: 'UND_ERR_SOCKET' }],
    ['network down: refused', { layer: 'network', kind: 'down' }, { error: 'ECONNREFUSED', ms: 2 }],
    ['network latency (downstream)', { layer: 'network', kind: 'latency', latency: '80ms' }, { status: 200, ms: 82 }],
    ['network timeout 0 (blackhole)', { layer: 'network', kind: 'timeout', timeout: '0s' }, { error: 'gave up', ms: 500 }],
    ['network reset_peer', { layer: 'network', kind: 'reset_peer', timeout: '30ms' }, { error: 'ECONNRESET', ms: 32 }],
    ['outage down', { layer: 'network', kind: 'outage', shape: 'down' }, { error: 'ECONNREFUSED', ms: 2 }],
    ['outage blackhole', { layer: 'network', kind: 'outage', shape: 'blackhole' }, { error: 'gave up', ms: 500 }],
    ['outage partial at 100%', { layer: 'network', kind: 'outage', shape: 'partial', toxicity: '100%' }, { error: 'ECONNRESET', ms: 1 }],
    ['outage slow (latency)', { layer: 'network', kind: 'outage', shape: 'slow', latency: '200ms' }, { status: 200, ms: 202 }],
  ];
  for (const [what, fault, expected] of cases) {
    it(`${what}: in force while on, gone when off`, async () => {
      const [f] = await planned([fault]);
      const { backend, call } = world();
      expect(await call()).toMatchObject({ status: 200, ms: 2 });
      await backend.on(f!);
      expect(await call()).toMatchObject(expected);
      await backend.off(f!);
      expect(await call()).toMatchObject({ status: 200, ms: 2 });
    });
  }

  it('http error at a rate: that share of calls fails', async () => {
    const [f] = await planned([{ layer: 'http', kind: 'error', rate: '30%' }]);
    const { backend, call } = world();
    await backend.on(f!);
    let failed = 0;
    for (let i = 0; i < 400; i++) if (((await call(50)) as { status?: number }).status === 503) failed++;
    // 400 draws at 30 %: 120 ± 3σ (σ ≈ 9.2).
    expect(failed).toBeGreaterThan(92);
    expect(failed).toBeLessThan(148);
  });

  it('a brown-out (capacity) gives the queueing answer: 10 calls at once on one 10 ms server finish 10 ms apart', async () => {
    const [f] = await planned([{ layer: 'http', kind: 'capacity', concurrency: 1 }], { concurrency: 4, queue: 100, serviceTime: '10ms' });
    const { clock, backend, provider } = world({ concurrency: 4, queue: 100, serviceTime: fixed(10) });
    await backend.on(f!);
    const transport = simTransport({
      clock,
      rng: seededRng(3),
      network: { clientLeg: fixed(0), upstreamLeg: fixed(1) },
      providers: new Map([['joke', provider]]),
      paths: new Map([['joke', new PathState()]]),
    });
    const target: Provider = { key: 'joke', name: 'joke', url: provider.origin };
    const ends: number[] = [];
    const all = Array.from({ length: 10 }, () => transport.send(target, { method: 'GET', path: '/joke', headers: {} }).then(() => ends.push(clock.now())));
    await clock.runUntil(1000);
    await Promise.all(all);
    // D/D/1: the k-th waits for the k − 1 before it; one leg each way.
    expect(ends).toEqual(Array.from({ length: 10 }, (_, k) => 1 + 10 * (k + 1) + 1));
    // Off: the provider's own 4 servers again, 10 calls in 3 rounds of 10 ms.
    await backend.off(f!);
    const again: number[] = [];
    const start = clock.now();
    const more = Array.from({ length: 10 }, () => transport.send(target, { method: 'GET', path: '/joke', headers: {} }).then(() => again.push(clock.now() - start)));
    await clock.runUntil(2000);
    await Promise.all(more);
    expect(again).toEqual([12, 12, 12, 12, 22, 22, 22, 22, 32, 32]);
  });

  it('a ramp step re-applies the fault with its new parameter', async () => {
    const [f] = await planned([{ layer: 'network', kind: 'latency', latency: '10ms', ramp: { to: '100ms', over: '1s', steps: 2 } }]);
    const { backend, call } = world();
    await backend.on(f!);
    expect(await call()).toMatchObject({ ms: 12 });
    await backend.step!(f!, 1);
    // Step 1 of 2 over 1 s (step 2 falls on the switch-off): 10 + (100 − 10) / 2 = 55 ms.
    expect(await call()).toMatchObject({ ms: 57 });
  });
});
