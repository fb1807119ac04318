import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/rng.ts';
import type { NamedToxic } from '../model/faults/kind.ts';
import type { Provider } from '../router/index.ts';
import { SimClock } from './engine.ts';
import { PathState } from './network.ts';
import { SimProvider } from './provider.ts';
import { simTransport } from './transport.ts';

const fixed = (value: number) => ({ distribution: 'fixed' as const, value });

/** One joke provider behind a path with fixed legs (2 ms each way) and a fixed 1 ms server time. */
function setup(overheadMs = 1) {
  const clock = new SimClock(0);
  const provider = new SimProvider({ key: 'joke', provider: 'joke', fixture: 'joke', clock, rng: seededRng(1), overhead: fixed(overheadMs) }, 0);
  const path = new PathState();
  const transport = simTransport({
    clock,
    rng: seededRng(2),
    network: { clientLeg: fixed(0), upstreamLeg: fixed(2) },
    providers: new Map([['joke', provider]]),
    paths: new Map([['joke', path]]),
  });
  const target: Provider = { key: 'joke', name: 'joke', url: provider.origin };
  /** Sends GET /joke now; the outcome with the virtual time it came at. */
  const call = (signal?: AbortSignal) =>
    transport.send(target, { method: 'GET', path: '/joke', headers: {}, ...(signal && { signal }) }).then(
      (res) => ({ status: res.status, at: clock.now(), body: new TextDecoder().decode(res.body) }),
      (err: { code?: string; message?: string }) => ({ error: err.code ?? err.message, at: clock.now() }),
    );
  return { clock, provider, path, transport, call };
}

const toxic = (type: NamedToxic['type'], stream: NamedToxic['stream'], attributes: Record<string, number>, toxicity = 1): NamedToxic => ({ name: `${type}-${stream}`, type, stream, toxicity, attributes });

describe('simTransport', () => {
  it('delivers a call to the modelled provider after a leg and brings the answer back after another', async () => {
    const { clock, provider, transport, call } = setup();
    const got = call();
    await clock.runUntil(100);
    expect(await got).toMatchObject({ status: 200, at: 5 });
    expect(JSON.parse((await got as { body: string }).body)).toMatchObject({ provider: 'joke' });
    // The ground truth, as the fixture server records it: arrival after one leg, the handler's label.
    expect(provider.received).toEqual([{ at: 2, endpoint: 'GET /joke', status: 200, ms: expect.any(Number), path: 'GET /joke' }]);
    expect(transport.calls).toBe(1);
  });

  it('down: refused after a round trip, the provider never sees it; a call in flight is cut when it switches on', async () => {
    const { clock, provider, path, call } = setup();
    const inFlight = call();
    clock.schedule(3, () => {
      path.downHolds = 1;
      for (const cut of [...path.inFlight]) cut('down');
    });
    await clock.runUntil(10);
    expect(await inFlight).toEqual({ error: 'ECONNRESET', at: 3 });
    const refused = call();
    await clock.runUntil(20);
    expect(await refused).toEqual({ error: 'ECONNREFUSED', at: 14 });
    // The first reached the provider (at 2), which answered (at 3) before the close reached it (at 5); the second never arrived.
    await clock.runUntil(30);
    expect(provider.received).toEqual([{ at: 2, endpoint: 'GET /joke', status: 200, ms: expect.any(Number), path: 'GET /joke' }]);
  });

  it('an upstream timeout toxic of 0 holds the call until the caller aborts: the provider never sees it', async () => {
    const { clock, provider, path, call } = setup();
    path.toxics.set('t', toxic('timeout', 'upstream', { timeout: 0 }));
    const ac = new AbortController();
    const got = call(ac.signal);
    clock.schedule(300, () => ac.abort(new Error('attempt timeout')));
    await clock.runUntil(1000);
    expect(await got).toEqual({ error: 'attempt timeout', at: 300 });
    expect(provider.received).toEqual([]);
  });

  it('a downstream timeout toxic: the provider answers (its record says 200), the answer never comes back', async () => {
    const { clock, provider, path, call } = setup();
    path.toxics.set('t', toxic('timeout', 'downstream', { timeout: 0 }));
    const ac = new AbortController();
    const got = call(ac.signal);
    clock.schedule(250, () => ac.abort(new Error('attempt timeout')));
    await clock.runUntil(1000);
    expect(await got).toEqual({ error: 'attempt timeout', at: 250 });
    expect(provider.received).toEqual([{ at: 2, endpoint: 'GET /joke', status: 200, ms: expect.any(Number), path: 'GET /joke' }]);
  });

  it('a timeout toxic > 0 closes the connection after it; reset_peer resets it (upstream: before the provider sees it)', async () => {
    const { clock, provider, path, call } = setup();
    path.toxics.set('t', toxic('timeout', 'upstream', { timeout: 50 }));
    const closed = call();
    await clock.runUntil(100);
    expect(await closed).toEqual({ error: 'UND_ERR_SOCKET', at: 52 });
    path.toxics.clear();
    path.toxics.set('r', toxic('reset_peer', 'upstream', { timeout: 0 }));
    const reset = call();
    await clock.runUntil(200);
    expect(await reset).toEqual({ error: 'ECONNRESET', at: 102 });
    expect(provider.received).toEqual([]);
  });

  it('a latency toxic adds its latency to its stream; toxicity is drawn per call', async () => {
    const { clock, path, call } = setup();
    path.toxics.set('l', toxic('latency', 'downstream', { latency: 100, jitter: 0 }));
    const slow = call();
    await clock.runUntil(1000);
    expect(await slow).toMatchObject({ status: 200, at: 105 });
    path.toxics.set('l', toxic('latency', 'upstream', { latency: 100, jitter: 10 }, 0.5));
    const start = clock.now();
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const got = call();
      await clock.runUntil(clock.now() + 200);
      times.push((await got).at - start - i * 200);
    }
    const delayed = times.filter((t) => t > 50);
    expect(delayed.every((t) => t >= 95 && t <= 115)).toBe(true);
    // 200 draws at 50 %: 100 ± 3σ (σ ≈ 7).
    expect(delayed.length).toBeGreaterThan(79);
    expect(delayed.length).toBeLessThan(121);
  });

  it('an aborted call rejects at once with the reason; the provider sees the client leave one leg later', async () => {
    // A provider that takes 10 ms: arrival at 2, answer at 12.
    const { clock, provider, path, call } = setup(10);
    const ac = new AbortController();
    const got = call(ac.signal);
    clock.schedule(4, () => ac.abort(new Error('client left')));
    await clock.runUntil(500);
    expect(await got).toEqual({ error: 'client left', at: 4 });
    // The close reaches the provider at 6, before its answer: cut off, status 0, as the fixture server records it.
    expect(provider.received).toEqual([{ at: 2, endpoint: 'GET /joke', status: 0, ms: expect.any(Number), path: 'GET /joke' }]);
    expect(path.inFlight.size).toBe(0);
    // Aborted before it arrived: the request never reaches the provider.
    const early = new AbortController();
    const never = call(early.signal);
    clock.schedule(1, () => early.abort(new Error('client left')));
    await clock.runUntil(1000);
    expect(await never).toMatchObject({ error: 'client left' });
    expect(provider.received).toHaveLength(1);
  });
});
