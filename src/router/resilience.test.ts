/**
 * The resilience policies wired into the whole router, configured from YAML: deadline,
 * fallback chain, rate limit with trusted proxies, bulkheads, load shedding, outlier
 * detection, retry budget, adaptive throttling, time-based breaker — each seen from outside
 * (status codes, headers, which provider was called) and through its metrics.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import { formatIssues } from '../config/issues.ts';
import type { RouterConfig } from './config.ts';
import { loadRouterConfig, parseRouterConfig } from './load.ts';
import { FALLBACK_HEADER, PROVIDER_HEADER, type RouterRequest } from './messages.ts';
import { runWithClock } from './policies/testing.ts';
import { createRouter, type Router } from './router.ts';
import { mswTransport } from './transport.ts';

const yaml = (text: string): RouterConfig => {
  const loaded = parseRouterConfig(text);
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return loaded.value;
};

type Mode = 'ok' | '500' | '503' | 'hang' | 'slow';

/** Providers a.test, b.test, c.test whose behaviour a test switches; each counts its calls. */
function providers(clock: FakeClock) {
  const mode: Record<string, Mode> = { a: 'ok', b: 'ok', c: 'ok' };
  const calls: Record<string, number> = { a: 0, b: 0, c: 0 };
  const handler = (name: string) => async ({ request }: { request: Request }) => {
    calls[name]!++;
    const m = mode[name]!;
    if (m === 'hang') return new Promise<never>(() => {});
    if (m === 'slow') await clock.sleep(100);
    if (m === '500' || m === '503') return HttpResponse.json({ error: 'down' }, { status: Number(m) });
    return HttpResponse.json({ provider: name, path: new URL(request.url).pathname, method: request.method });
  };
  const handlers = ['a', 'b', 'c'].flatMap((n) => [http.get(`http://${n}.test/*`, handler(n)), http.post(`http://${n}.test/*`, handler(n))]);
  return { mode, calls, handlers };
}

function setup(config: RouterConfig, seed = 1) {
  const clock = new FakeClock();
  const p = providers(clock);
  const router = createRouter({
    config,
    transport: mswTransport(p.handlers),
    upstreams: { a: 'http://a.test', b: 'http://b.test', c: 'http://c.test' },
    clock,
    rng: seededRng(seed),
  });
  const send = async (req: Partial<RouterRequest> & { path: string }) => {
    const res = await runWithClock(clock, router.handle({ method: 'GET', headers: {}, ...req }), 5);
    return { ...res, provider: res.headers[PROVIDER_HEADER], json: () => JSON.parse(new TextDecoder().decode(res.body)) };
  };
  return { clock, router, send, ...p };
}

/** The value of one exposition line, by its exact series name and labels; undefined when absent. */
async function series(router: Router, name: string): Promise<number | undefined> {
  const line = (await router.metrics.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const PROVIDERS = `
providers:
  a: { url: http://a.test }
  b: { url: http://b.test }
  c: { url: http://c.test }
`;

describe('router: deadline and fallback chain', () => {
  const config = yaml(`
name: chain
${PROVIDERS}
routes:
  - match: /score/**
    upstreams: [a]
    timeout: 250ms
    deadline: 600ms
    retry: { maxAttempts: 3, backoff: { base: 50ms, cap: 50ms, jitter: none } }
    fallback:
      tiers:
        - { tier: upstreams }
        - { tier: upstreams, upstreams: [b], name: rules }
        - { tier: cache }
        - { tier: static, status: 200, json: { score: 0.5, degraded: true } }
  - match: /plain
    upstreams: [a, b]
    timeout: 250ms
    deadline: 400ms
  - match: /orders
    upstreams: [a]
    timeout: 250ms
    fallback:
      tiers: [{ tier: upstreams }, { tier: queue, capacity: 2 }]
`);

  it('answers 504 at the deadline when retries and failover cannot finish in time', async () => {
    const { send, mode, clock, calls, router } = setup(config);
    mode.a = 'hang';
    mode.b = 'hang';
    const started = clock.now();
    const res = await send({ path: '/plain' });
    expect(res.status).toBe(504);
    expect(res.json()).toMatchObject({ error: 'deadline_exceeded', deadlineMs: 400 });
    expect(clock.now() - started).toBe(400); // a: 250 ms timeout; b: cut by the deadline at 400
    expect(calls).toMatchObject({ a: 1, b: 1 });
    expect(await series(router, 'upstream_attempts_total{provider="b",status="deadline"}')).toBe(1);
  });

  it('answers from the first tier that can: the model, then the rule engine, then the cache, then the static answer', async () => {
    const { send, mode, router } = setup(config);
    const fresh = await send({ path: '/score/42' });
    expect(fresh).toMatchObject({ status: 200, provider: 'a' });
    expect(fresh.headers[FALLBACK_HEADER]).toBeUndefined();

    mode.a = '500';
    const rules = await send({ path: '/score/42' });
    expect(rules).toMatchObject({ status: 200, provider: 'b' });
    expect(rules.headers[FALLBACK_HEADER]).toBe('rules');

    mode.b = '503';
    const cached = await send({ path: '/score/42' });
    expect(cached.status).toBe(200);
    expect(cached.headers[FALLBACK_HEADER]).toBe('cache');
    expect(cached.json()).toEqual({ provider: 'b', path: '/score/42', method: 'GET' }); // the last good answer: the rule engine's

    const nothingCached = await send({ path: '/score/7' });
    expect(nothingCached.headers[FALLBACK_HEADER]).toBe('static');
    expect(nothingCached.json()).toEqual({ score: 0.5, degraded: true });

    expect(await series(router, 'fallback_invocations_total{route="/score/**",tier="rules"}')).toBe(3);
    expect(await series(router, 'fallback_invocations_total{route="/score/**",tier="cache"}')).toBe(2);
    expect(await series(router, 'fallback_invocations_total{route="/score/**",tier="static"}')).toBe(1);
    expect(await series(router, 'router_request_duration_seconds_count{route="/score/**",provider="none",outcome="fallback"}')).toBe(2);
  });

  it('answers with a degraded tier at the chain deadline when every provider hangs', async () => {
    const { send, mode, clock } = setup(config);
    mode.a = 'hang';
    mode.b = 'hang';
    const started = clock.now();
    const res = await send({ path: '/score/1' });
    expect(clock.now() - started).toBe(600);
    expect(res.headers[FALLBACK_HEADER]).toBe('static');
  });

  it('queues a write it cannot deliver: 202 Accepted with a ticket, until the queue is full', async () => {
    const { send, mode, router } = setup(config);
    mode.a = '503';
    const body = new TextEncoder().encode('{"item":1}');
    const first = await send({ method: 'POST', path: '/orders', body });
    expect(first.status).toBe(202);
    expect(first.json()).toMatchObject({ status: 'queued', ticket: expect.stringMatching(/^q-1-/) });
    expect(first.headers.location).toBe(`/queue/${first.json().ticket}`);
    await send({ method: 'POST', path: '/orders', body });
    const full = await send({ method: 'POST', path: '/orders', body });
    expect(full.status).toBe(502); // the queue is full: the upstream tier's failure stands
    expect(router.policies.queues.get('/orders')!.size).toBe(2);
  });
});

describe('router: rate limit per client, behind trusted proxies', () => {
  const config = yaml(`
name: gateway
clients: { trustedProxies: [10.0.0.0/8] }
rateLimit: { limit: 100, window: 1m }
${PROVIDERS}
routes:
  - match: /api/**
    upstreams: [a]
    rateLimit: { limit: 3, window: 1s, algorithm: token-bucket }
  - match: /open/**
    upstreams: [a]
`);

  it('allows 100 requests a minute per client address, then answers 429 with Retry-After', async () => {
    const { send, router, clock } = setup(config);
    for (let i = 0; i < 100; i++) {
      const res = await send({ path: '/open/x', remoteAddress: '203.0.113.7' });
      expect(res.status).toBe(200);
      clock.advance(10);
    }
    const limited = await send({ path: '/open/x', remoteAddress: '203.0.113.7' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('59');
    expect((await send({ path: '/open/x', remoteAddress: '203.0.113.8' })).status).toBe(200);
    expect(await series(router, 'rate_limited_total{route="/open/**",limit="global"}')).toBe(1);
  });

  it('cannot be bypassed by a spoofed X-Forwarded-For', async () => {
    const { send } = setup(config);
    let ok = 0;
    for (let i = 0; i < 150; i++) {
      // Straight from the internet: the header is the client's own word, and ignored.
      const res = await send({ path: '/open/x', remoteAddress: '198.51.100.1', headers: { 'x-forwarded-for': `192.0.2.${i % 250}` } });
      if (res.status === 200) ok++;
    }
    expect(ok).toBe(100);
    // Through our proxy, the client can still prepend anything: the rightmost untrusted address counts.
    let viaProxy = 0;
    for (let i = 0; i < 150; i++) {
      const res = await send({ path: '/open/x', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': `192.0.2.${i % 250}, 198.51.100.9` } });
      if (res.status === 200) viaProxy++;
    }
    expect(viaProxy).toBe(100);
  });

  it('applies a route limit on top of the router-wide one', async () => {
    const { send, router } = setup(config);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send({ path: '/api/x', remoteAddress: '203.0.113.7' })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(await series(router, 'rate_limited_total{route="/api/**",limit="route"}')).toBe(2);
  });
});

describe('router: bulkheads and load shedding', () => {
  it('a provider bulkhead refuses the overflow, which fails over to the next provider', async () => {
    const { router, clock, mode, calls } = setup(
      yaml(`
name: bh
providers:
  a: { url: http://a.test, bulkhead: { maxConcurrentCalls: 2 } }
  b: { url: http://b.test }
routes:
  - { match: /x, upstreams: [a, b] }
`),
    );
    mode.a = 'slow';
    const all = Promise.all([1, 2, 3, 4].map(() => router.handle({ method: 'GET', path: '/x', headers: {} })));
    const answers = await runWithClock(clock, all, 5);
    expect(answers.map((r) => r.headers[PROVIDER_HEADER])).toEqual(['a', 'a', 'b', 'b']);
    expect(calls).toMatchObject({ a: 2, b: 2 });
    expect(await series(router, 'bulkhead_rejections_total{scope="provider",name="a",reason="full"}')).toBe(2);
    expect(await series(router, 'failover_invocations_total{from="a",to="b",reason="bulkhead_full"}')).toBe(2);
  });

  it('sheds low-priority requests first when in-flight requests cross their share of capacity', async () => {
    const { router, clock, mode } = setup(
      yaml(`
name: shed
loadShedding: { maxInFlight: 4, priorityHeader: x-priority }
${PROVIDERS}
routes:
  - { match: /batch, upstreams: [a], priority: sheddable }
  - { match: /checkout, upstreams: [a] }
`),
    );
    mode.a = 'slow';
    const go = (path: string, priority?: string) => router.handle({ method: 'GET', path, headers: priority ? { 'x-priority': priority } : {} });
    // Two batch requests fill sheddable's half; the third is shed; checkout (critical) still gets in.
    const all = Promise.all([go('/batch'), go('/batch'), go('/batch'), go('/checkout'), go('/checkout'), go('/checkout', 'sheddable')]);
    const answers = await runWithClock(clock, all, 5);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 503, 200, 200, 503]);
    expect(JSON.parse(new TextDecoder().decode(answers[2]!.body))).toMatchObject({ error: 'overloaded', priority: 'sheddable' });
    expect(answers[2]!.headers['retry-after']).toBe('1');
    expect(await series(router, 'load_shed_total{priority="sheddable"}')).toBe(2);
    expect(await series(router, 'load_shed_total{priority="critical"}')).toBe(0);
    expect(await series(router, 'router_request_duration_seconds_count{route="/batch",provider="none",outcome="shed"}')).toBe(1);
  });
});

describe('router: load-shedding priority from the header', () => {
  it('lets a client lower its priority but not raise it; a trusted proxy may set any', async () => {
    const { router, clock, mode } = setup(
      yaml(`
name: shed-priority
clients: { trustedProxies: [10.0.0.1] }
loadShedding: { maxInFlight: 4, priorityHeader: x-priority }
${PROVIDERS}
routes:
  - { match: /batch, upstreams: [a], priority: sheddable }
`),
    );
    mode.a = 'slow';
    const go = (priority: string, remoteAddress: string) => router.handle({ method: 'GET', path: '/batch', headers: { 'x-priority': priority }, remoteAddress });
    // Sheddable's share is 2 of 4: two batch requests fill it. A client claiming critical-plus
    // is still sheddable and is shed; the same claim through the trusted proxy gets in.
    const all = Promise.all([go('sheddable', '203.0.113.7'), go('sheddable', '203.0.113.7'), go('critical-plus', '203.0.113.7'), go('critical-plus', '10.0.0.1')]);
    const answers = await runWithClock(clock, all, 5);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 503, 200]);
    expect(JSON.parse(new TextDecoder().decode(answers[2]!.body))).toMatchObject({ error: 'overloaded', priority: 'sheddable' });
  });
});

describe('router: outlier detection, retry budget, adaptive throttling, time-based breaker', () => {
  it('ejects a provider after consecutive failures and sends the route to the others', async () => {
    const { send, mode, calls, router, clock } = setup(
      yaml(`
name: outliers
${PROVIDERS}
routes:
  - match: /x
    upstreams: [a, b, c]
    outlierDetection: { consecutive5xx: 3, baseEjectionTime: 10s, maxEjectionPercent: 34% }
`),
    );
    mode.a = '503';
    for (let i = 0; i < 3; i++) expect((await send({ path: '/x' })).provider).toBe('b');
    expect(calls.a).toBe(3);
    for (let i = 0; i < 5; i++) await send({ path: '/x' });
    expect(calls.a).toBe(3); // ejected: not called
    expect(await series(router, 'outlier_ejections_total{route="/x",provider="a",reason="consecutive_5xx"}')).toBe(1);
    expect(await series(router, 'failover_invocations_total{from="a",to="b",reason="ejected"}')).toBe(5);
    expect(await series(router, 'outlier_ejections_total{route="/x",provider="b",reason="consecutive_5xx"}')).toBe(0);
    mode.a = 'ok';
    clock.advance(10_000);
    expect((await send({ path: '/x' })).provider).toBe('a');
  });

  it('a token retry budget holds upstream attempts to (1 + tokenRatio) × requests + maxTokens / 2', async () => {
    const { send, mode, calls, router } = setup(
      yaml(`
name: budget
${PROVIDERS}
routes:
  - match: /x
    upstreams: [a]
    retry: { maxAttempts: 5, backoff: { base: 1ms, cap: 1ms }, budget: { type: tokens, maxTokens: 10, tokenRatio: 0.1 } }
`),
    );
    mode.a = '503';
    for (let i = 0; i < 100; i++) await send({ path: '/x' });
    // Without a budget: 500 attempts. With it: each failure takes a token; the first request's
    // 4 retries take the count from 10 to 5 (half), and no request is retried after that.
    expect(calls.a).toBeLessThanOrEqual(1.1 * 100 + 5);
    expect(calls.a).toBe(104);
    expect(await series(router, 'retry_attempts_total{route="/x",provider="a"}')).toBe(4);
    expect(await series(router, 'retry_budget_exhausted_total{route="/x",provider="a"}')).toBe(99);
  });

  it('retries a POST refused before it was sent, even on an idempotent-only route', async () => {
    const { send, router } = setup(
      yaml(`
name: refused
providers:
  down: { url: http://nothing.test }
  b: { url: http://b.test }
routes:
  - { match: /pay, upstreams: [down, b], retry: { maxAttempts: 3, backoff: { base: 1ms, cap: 1ms } } }
`),
    );
    const res = await send({ method: 'POST', path: '/pay', body: new TextEncoder().encode('{}') });
    expect(res.provider).toBe('b');
    // No MSW handler for nothing.test: "nothing listens", the request never left — retried twice.
    expect(await series(router, 'upstream_attempts_total{provider="down",status="network"}')).toBe(3);
  });

  it('adaptive throttling rejects calls locally once the provider refuses most of them', async () => {
    const { send, mode, calls, router, clock } = setup(
      yaml(`
name: throttle
providers:
  a: { url: http://a.test, adaptiveThrottling: { k: 2 } }
  b: { url: http://b.test }
routes:
  - { match: /x, upstreams: [a, b] }
`),
    );
    mode.a = '503';
    for (let i = 0; i < 200; i++) {
      await send({ path: '/x' });
      clock.advance(100);
    }
    const throttled = (await series(router, 'adaptive_throttling_rejections_total{provider="a"}'))!;
    expect(throttled).toBeGreaterThan(150);
    expect(calls.a + throttled).toBe(200);
    expect(calls.b).toBe(200); // every request still answered, by the backup
  });

  it('opens a time-window breaker on the slow-call rate from YAML', async () => {
    const { send, mode, router } = setup(
      yaml(`
name: slow
providers:
  a:
    url: http://a.test
    breaker: { failureRate: 50%, window: 10s, minimumCalls: 4, slowCall: { duration: 50ms, rate: 50% }, openFor: 5s }
  b: { url: http://b.test }
routes:
  - { match: /x, upstreams: [a, b] }
`),
    );
    mode.a = 'slow'; // 100 ms answers: successes, but slow
    for (let i = 0; i < 4; i++) expect((await send({ path: '/x' })).provider).toBe('a');
    expect(router.breakers.get('a')!.state()).toMatchObject({ kind: 'open', opens: 1 });
    expect((await send({ path: '/x' })).provider).toBe('b');
  });
});

describe('router: metrics created at zero', () => {
  it('exposes every configured series with 0 before anything happened', async () => {
    const loaded = await loadRouterConfig(new URL('../../fixtures/routers/degradation.yaml', import.meta.url).pathname);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    const { router } = setup(loaded.value);
    const text = await router.metrics.text();
    for (const line of [
      'load_shed_total{priority="sheddable"} 0',
      'load_shed_total{priority="critical-plus"} 0',
      'bulkhead_rejections_total{scope="provider",name="model",reason="full"} 0',
      'bulkhead_rejections_total{scope="provider",name="model",reason="queue_timeout"} 0',
      'retry_budget_exhausted_total{route="/score/**",provider="model"} 0',
      'retry_attempts_total{route="/applications",provider="rules"} 0',
      'outlier_ejections_total{route="/applications",provider="model",reason="consecutive_5xx"} 0',
      'fallback_invocations_total{route="/score/**",tier="rule-engine"} 0',
      'fallback_invocations_total{route="/applications",tier="queue"} 0',
      'rate_limited_total{route="/score/**",limit="global"} 0',
      'adaptive_throttling_rejections_total{provider="model"} 0',
      'router_request_duration_seconds_count{route="/score/**",provider="model",outcome="success"} 0',
    ]) {
      expect(text).toContain(line);
    }
    await router.close();
  });

  it('serves the degradation fixture end to end: the model fails, the rule engine answers', async () => {
    const loaded = await loadRouterConfig(new URL('../../fixtures/routers/degradation.yaml', import.meta.url).pathname);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    const clock = new FakeClock();
    const router = createRouter({
      config: loaded.value,
      transport: mswTransport([
        http.get('http://model.test/*', () => HttpResponse.json({ error: 'overloaded' }, { status: 503 })),
        http.get('http://rules.test/*', () => HttpResponse.json({ score: 0.7, by: 'rules' })),
      ]),
      upstreams: { model: 'http://model.test', rules: 'http://rules.test' },
      clock,
    });
    const res = await runWithClock(clock, router.handle({ method: 'GET', path: '/score/9', headers: {}, remoteAddress: '127.0.0.1' }), 5);
    expect(res.status).toBe(200);
    expect(res.headers[PROVIDER_HEADER]).toBe('rules');
    expect(res.headers[FALLBACK_HEADER]).toBe('rule-engine');
    await router.close();
  });
});
