/**
 * The whole router in process: MSW handlers stand in for the providers (no sockets), a
 * FakeClock runs timeouts, backoff and breaker cool-downs in virtual time, and a seeded
 * RNG decides both jitter and which provider calls fail.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import { compileRouterConfig, type RouterConfig, type RouterFile } from './config.ts';
import { loadRouterConfig } from './load.ts';
import { PROVIDER_HEADER, type RouterRequest } from './messages.ts';
import { runWithClock } from './policies/testing.ts';
import { createRouter, type Router } from './router.ts';
import { mswTransport } from './transport.ts';

const fixture = async (name: string): Promise<RouterConfig> => {
  const loaded = await loadRouterConfig(new URL(`../../fixtures/routers/${name}.yaml`, import.meta.url).pathname);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.value;
};

const compile = (raw: RouterFile): RouterConfig => {
  const c = compileRouterConfig(raw);
  if (!c.ok) throw new Error(JSON.stringify(c.issues));
  return c.value;
};

/** A joke provider that answers 503 with probability `errorRate`, drawn from `rng`. */
function jokeHandlers(rng: Rng, errorRate: number, counts = { calls: 0 }) {
  return [
    http.get('http://joke.test/joke', () => {
      counts.calls++;
      if (rng.next() < errorRate) return HttpResponse.json({ error: 'overloaded' }, { status: 503 });
      return HttpResponse.json({ id: counts.calls, setup: 'Why?', punchline: 'Because.' });
    }),
  ];
}

async function send(router: Router, clock: FakeClock, req: Partial<RouterRequest> & { path: string }) {
  const res = await runWithClock(clock, router.handle({ method: 'GET', headers: {}, ...req }), 5);
  return { ...res, provider: res.headers[PROVIDER_HEADER], json: () => JSON.parse(new TextDecoder().decode(res.body)) };
}

describe('router: joke API with 30 % 503s', () => {
  // 400 requests. Failures are independent draws at p = 0.3, so with 3 attempts a request
  // fails with p = 0.027: expected success 97.3 %, standard deviation 0.8 points at n = 400;
  // 93 % is over 5 sd below. Without retries success is 70 % ± 2.3 points; [60 %, 80 %]
  // is over 4 sd either side. The seeds make the run exact; the bands say it is not luck.
  const N = 400;

  async function availability(config: RouterConfig) {
    const clock = new FakeClock();
    const counts = { calls: 0 };
    const router = createRouter({
      config,
      transport: mswTransport(jokeHandlers(seededRng(2024), 0.3, counts)),
      upstreams: { joke: 'http://joke.test' },
      clock,
      rng: seededRng(7),
    });
    let ok = 0;
    for (let i = 0; i < N; i++) {
      const res = await send(router, clock, { path: '/joke' });
      if (res.status === 200) {
        ok++;
        expect(res.provider).toBe('joke');
        expect(res.json()).toHaveProperty('punchline');
      }
    }
    const metrics = await router.metrics.text();
    await router.close();
    return { ok: ok / N, calls: counts.calls, metrics };
  }

  it('retries with backoff and full jitter lift availability from ~70 % to ~97 %', async () => {
    const withRetries = await availability(await fixture('joke'));
    const without = await availability(await fixture('joke.broken'));
    expect(withRetries.ok).toBeGreaterThan(0.93);
    expect(without.ok).toBeGreaterThan(0.6);
    expect(without.ok).toBeLessThan(0.8);
    // The price: upstream amplification. At most 3 calls per request, about 1.4 on average.
    expect(without.calls).toBe(N);
    expect(withRetries.calls).toBeLessThanOrEqual(3 * N);
    expect(withRetries.calls / N).toBeGreaterThan(1.2);
    expect(withRetries.calls / N).toBeLessThan(1.6);
    // Every call beyond the first of its request is a counted retry.
    const retries = sumOf(withRetries.metrics, 'retry_attempts_total{route="/joke",provider="joke"}');
    expect(retries).toBe(withRetries.calls - N);
    expect(sumOf(withRetries.metrics, 'upstream_attempts_total{provider="joke",status="503"}')).toBeGreaterThan(0);
  });
});

/** The value of one exposition line, by its exact series name and labels. */
function sumOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('router: weather primary → backup', () => {
  function weather(config: RouterConfig, primary: { mode: 'ok' | '500' | 'hang' }) {
    const clock = new FakeClock();
    const calls = { primary: 0, backup: 0 };
    const handlers = [
      http.get('http://primary.test/weather/:city', ({ params }) => {
        calls.primary++;
        if (primary.mode === 'hang') return new Promise<never>(() => {});
        if (primary.mode === '500') return HttpResponse.json({ error: 'down' }, { status: 500 });
        return HttpResponse.json({ city: params.city, tempC: 12, provider: 'primary' });
      }),
      http.get('http://backup.test/weather/:city', ({ params }) => {
        calls.backup++;
        return HttpResponse.json({ city: params.city, tempC: 11, provider: 'backup' });
      }),
    ];
    const router = createRouter({
      config,
      transport: mswTransport(handlers),
      upstreams: { 'weather-primary': 'http://primary.test', 'weather-backup': 'http://backup.test' },
      clock,
    });
    return { clock, calls, router };
  }

  it('fails over while the primary errs, opens its breaker, then probes and restores it', async () => {
    const primary = { mode: '500' as 'ok' | '500' | 'hang' };
    const { clock, calls, router } = weather(await fixture('weather'), primary);
    const transitions: string[] = [];
    router.breakers.get('weather-primary')!.onStateChange((t) => transitions.push(`${t.from}→${t.to}@${t.at}`));

    // minimumCalls = 5 failures in a row: each of these tries the primary, then the backup.
    for (let i = 0; i < 5; i++) {
      const res = await send(router, clock, { path: '/weather/oslo' });
      expect(res.status).toBe(200);
      expect(res.provider).toBe('weather-backup');
    }
    expect(calls.primary).toBe(5);
    expect(router.breakers.get('weather-primary')!.state().kind).toBe('open');

    // Open: straight to the backup, the primary is not called.
    for (let i = 0; i < 20; i++) await send(router, clock, { path: '/weather/oslo' });
    expect(calls.primary).toBe(5);

    // The primary recovers; after openFor (3s) two probes succeed and it is back.
    primary.mode = 'ok';
    clock.advance(3_000);
    const probe1 = await send(router, clock, { path: '/weather/oslo' });
    const probe2 = await send(router, clock, { path: '/weather/bergen?units=metric' });
    expect([probe1.provider, probe2.provider]).toEqual(['weather-primary', 'weather-primary']);
    expect(probe2.json()).toEqual({ city: 'bergen', tempC: 12, provider: 'primary' });
    expect(router.breakers.get('weather-primary')!.state().kind).toBe('closed');
    expect(transitions.map((t) => t.replace(/@.*/, ''))).toEqual(['closed→open', 'open→half-open', 'half-open→closed']);

    const metrics = await router.metrics.text();
    expect(metrics).toContain('failover_invocations_total{from="weather-primary",to="weather-backup",reason="5xx"} 5');
    expect(metrics).toContain('failover_invocations_total{from="weather-primary",to="weather-backup",reason="breaker_open"} 20');
    expect(metrics).toContain('circuit_breaker_state{provider="weather-primary",region=""} 0');
    expect(metrics).toContain('circuit_breaker_transitions_total{provider="weather-primary",region="",from="closed",to="open"} 1');
    await router.close();
  });

  it('without a breaker, every request waits out the hung primary’s timeout before the backup', async () => {
    const { clock, calls, router } = weather(await fixture('weather.broken'), { mode: 'hang' });
    for (let i = 0; i < 15; i++) {
      const started = clock.now();
      const res = await send(router, clock, { path: '/weather/oslo' });
      expect(res.provider).toBe('weather-backup');
      expect(clock.now() - started).toBeGreaterThanOrEqual(250);
    }
    expect(calls.primary).toBe(15);
    expect(await router.metrics.text()).toContain('upstream_attempts_total{provider="weather-primary",status="timeout"} 15');
    await router.close();
  });

  it('with the breaker, the hung primary costs timeouts only until the breaker opens', async () => {
    const { clock, calls, router } = weather(await fixture('weather'), { mode: 'hang' });
    for (let i = 0; i < 15; i++) await send(router, clock, { path: '/weather/oslo' });
    expect(calls.primary).toBe(5);
    await router.close();
  });

  it('answers 503 with a reason and Retry-After when every breaker is open, 502 when every upstream failed', async () => {
    const { clock, router } = weather(await fixture('weather'), { mode: '500' });
    router.breakers.get('weather-primary')!.restore({ kind: 'open', openedAt: 0, until: 5_000 });
    router.breakers.get('weather-backup')!.restore({ kind: 'open', openedAt: 0, until: 3_000 });
    const rejected = await send(router, clock, { path: '/weather/oslo' });
    expect(rejected.status).toBe(503);
    expect(rejected.provider).toBe('none');
    expect(rejected.headers['retry-after']).toBe('3');
    expect(rejected.json()).toMatchObject({ error: 'circuit_open', route: '/weather/**' });

    router.breakers.get('weather-backup')!.restore({ kind: 'closed', window: [] });
    const down = createRouter({
      config: await fixture('weather.broken'),
      transport: mswTransport([http.get('http://x.test/*', () => HttpResponse.json({}, { status: 500 }))]),
      upstreams: { 'weather-primary': 'http://x.test', 'weather-backup': 'http://nothing.test' },
      clock,
    });
    const failed = await send(down, clock, { path: '/weather/oslo' });
    expect(failed.status).toBe(502);
    expect(failed.json()).toMatchObject({
      error: 'upstreams_failed',
      attempts: [
        { key: 'weather-primary', reason: '5xx', status: 500 },
        { key: 'weather-backup', reason: 'network' }, // no MSW handler: as if nothing listened
      ],
    });
    await router.close();
    await down.close();
  });
});

describe('router: requests and routes', () => {
  const raw = (retry: NonNullable<RouterFile['routes'][number]['retry']>): RouterFile => ({
    name: 'pay',
    providers: { pay: { url: 'http://pay.test' } },
    routes: [{ match: '/pay/**', upstreams: ['pay'], timeout: '1s', retry }],
  });

  function payRouter(config: RouterConfig) {
    const clock = new FakeClock();
    const seen: Array<{ method: string; body: string; url: string; header: string | null }> = [];
    const handler = async ({ request }: { request: Request }) => {
      seen.push({ method: request.method, body: await request.text(), url: request.url, header: request.headers.get('x-client') });
      return HttpResponse.json({ error: 'busy' }, { status: 503 });
    };
    const router = createRouter({ config, transport: mswTransport([http.post('http://pay.test/pay/*', handler), http.get('http://pay.test/pay/*', handler)]), clock });
    return { clock, seen, router };
  }

  it('forwards method, path, query, headers and body, and never retries a POST unless the route allows it', async () => {
    const body = new TextEncoder().encode('{"amount":100}');
    const strict = payRouter(compile(raw({ maxAttempts: 3, backoff: { base: '10ms', cap: '50ms' } })));
    const res = await send(strict.router, strict.clock, { method: 'POST', path: '/pay/eu?currency=EUR', body, headers: { 'x-client': 'c1', connection: 'keep-alive' } });
    expect(res.status).toBe(502);
    expect(strict.seen).toEqual([{ method: 'POST', body: '{"amount":100}', url: 'http://pay.test/pay/eu?currency=EUR', header: 'c1' }]);

    const get = await send(strict.router, strict.clock, { path: '/pay/eu' });
    expect(get.status).toBe(502);
    expect(strict.seen).toHaveLength(4); // GET is retried: 3 attempts

    const lenient = payRouter(compile(raw({ maxAttempts: 3, idempotentOnly: false, backoff: { base: '10ms', cap: '50ms' } })));
    await send(lenient.router, lenient.clock, { method: 'POST', path: '/pay/eu', body });
    expect(lenient.seen).toHaveLength(3);
    await strict.router.close();
    await lenient.router.close();
  });

  it('answers 404 with the routes it knows when none matches', async () => {
    const { router, clock } = payRouter(compile(raw({ maxAttempts: 1 })));
    const res = await send(router, clock, { path: '/refund' });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: 'no_route', routes: ['/pay/**'] });
    await router.close();
  });
});
