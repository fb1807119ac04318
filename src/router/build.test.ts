/**
 * Building a router without handling a request: which policies exist, in which scope, and
 * who shares them, read straight off the RouterState.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import { buildRouterState } from './build.ts';
import type { CallUpstreams, RouterState } from './state.ts';
import { DEFAULT_MAX_REQUEST_BODY, type RouterConfig } from './config.ts';
import { parseRouterConfig } from './load.ts';
import { RouterMetrics } from './metrics.ts';
import { FusedPolicies } from './policies/fused.ts';
import type { Transport } from './transport.ts';

const parse = (yaml: string): RouterConfig => {
  const loaded = parseRouterConfig(yaml, 'build.test');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.value;
};

/** A transport and a tier call that fail the test if building ever calls them. */
const transport: Transport = {
  send: () => {
    throw new Error('building called the transport');
  },
  close: async () => {},
};
const noCall: CallUpstreams = () => {
  throw new Error('building called an upstream tier');
};

function build(config: RouterConfig, rng: Rng = seededRng(1)): RouterState {
  return buildRouterState({ config, transport, clock: new FakeClock(), rng, metrics: new RouterMetrics() }, noCall);
}

/** An Rng that counts its draws. */
function counting(): Rng & { draws: number } {
  const inner = seededRng(1);
  const rng = { draws: 0, next: () => (rng.draws++, inner.next()) };
  return rng;
}

const CONFIG = `
name: build
providers:
  a:
    url: http://a.test
    breaker: { failureRate: 50%, window: 20, minimumCalls: 10, openFor: 5s }
    bulkhead: { maxConcurrentCalls: 10 }
    adaptiveThrottling: { k: 2 }
  b: { url: http://b.test }
  c: { url: http://c.test }
routes:
  - match: /one/**
    upstreams: [a, b]
    retry:
      maxAttempts: 3
      backoff: { base: 10ms, cap: 100ms }
      budget: { type: concurrency, budgetPercent: 20%, minRetryConcurrency: 3 }
    outlierDetection: { consecutive5xx: 5 }
    rateLimit: { limit: 100, window: 1s }
    deadline: 2s
  - match: /two/**
    upstreams: [a]
    retry: { maxAttempts: 2, backoff: { base: 10ms, cap: 100ms } }
    fallback:
      tiers: [{ tier: upstreams, name: first }, { tier: upstreams, upstreams: [c], name: spare }, { tier: queue, capacity: 2 }]
  - match: /three
    upstreams: [b]
    maxRequestBody: 10
`;

describe('buildRouterState', () => {
  it('compiles the routes in config order, with their matchers and body limits, calling nobody', () => {
    const state = build(parse(CONFIG));
    expect(state.routes.map((r) => r.label)).toEqual(['/one/**', '/two/**', '/three']);
    expect(state.routes.map((r) => [r.test('/one/x'), r.test('/two'), r.test('/three')])).toEqual([
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ]);
    expect(state.routes.map((r) => r.maxBody)).toEqual([DEFAULT_MAX_REQUEST_BODY, DEFAULT_MAX_REQUEST_BODY, 10]);
    expect(state.defaultBodyLimit).toBe(DEFAULT_MAX_REQUEST_BODY);
  });

  it('makes one breaker, bulkhead and throttle per provider key, shared by every route that calls it', () => {
    const state = build(parse(CONFIG));
    expect([...state.breakers.keys()]).toEqual(['a']);
    expect([...state.bulkheads.keys()]).toEqual(['a']);
    expect([...state.throttles.keys()]).toEqual(['a']);
    const [one, two] = state.routes;
    expect(one!.byKey.get('a')!.breaker).toBe(state.breakers.get('a'));
    expect(two!.byKey.get('a')!.breaker).toBe(state.breakers.get('a'));
    expect(one!.byKey.get('b')!.breaker).toBeUndefined();
    // The pipeline itself is the route's: its retry names the route.
    expect(one!.byKey.get('a')!.pipeline).not.toBe(two!.byKey.get('a')!.pipeline);
    const fused = one!.byKey.get('a')!.pipeline as FusedPolicies;
    expect(fused).toBeInstanceOf(FusedPolicies);
    expect(fused.gates).toContain(state.breakers.get('a'));
    expect(fused.gates).toContain(state.bulkheads.get('a'));
    expect(fused.gates).toContain(state.throttles.get('a'));
  });

  it("gives a route's retry budget to the route alone, shared by its upstreams", () => {
    const state = build(parse(CONFIG));
    expect([...state.budgets.keys()]).toEqual(['/one/**']);
    const budget = state.budgets.get('/one/**');
    const [one, two] = state.routes;
    for (const key of ['a', 'b']) expect((one!.byKey.get(key)!.pipeline as FusedPolicies).retry!.options.budget).toBe(budget);
    expect((two!.byKey.get('a')!.pipeline as FusedPolicies).retry!.options.budget).toBeUndefined();
  });

  it('scopes outlier detection, rate limits and bulkheads to their route', () => {
    const state = build(parse(CONFIG));
    expect([...state.outliers.keys()]).toEqual(['/one/**']);
    expect([...state.rateLimiters.keys()]).toEqual(['/one/**']);
    expect(state.routes[0]!.rateLimit).toBe(state.rateLimiters.get('/one/**'));
    expect(state.globalLimiter).toBeUndefined();
    expect(state.routeBulkheads.size).toBe(0);
    expect(state.shedder).toBeUndefined();
  });

  it('reaches every provider a fallback tier names, and builds the chain instead of a bare deadline', () => {
    const state = build(parse(CONFIG));
    const [one, two] = state.routes;
    expect([...one!.byKey.keys()]).toEqual(['a', 'b']);
    expect([...two!.byKey.keys()]).toEqual(['a', 'c']);
    expect(two!.chain?.tiers.map((t) => t.name)).toEqual(['first', 'spare', 'queue']);
    expect(two!.deadline).toBeUndefined();
    expect([...state.queues.keys()]).toEqual(['/two/**']);
    expect(one!.chain).toBeUndefined();
    expect(one!.deadline).toBeDefined();
    // Without select or llm, a route's order is its list as configured, one plan for every request.
    expect(one!.fixed.baseline.targets.map((t) => t.upstream.provider.key)).toEqual(['a', 'b']);
    expect(one!.fixed.canary).toBeUndefined();
  });

  it('draws from the rng only for the policies that need streams of their own (throttle, queue)', () => {
    const plain = counting();
    build(parse(`
name: plain
providers: { a: { url: http://a.test, breaker: { failureRate: 50%, window: 20, minimumCalls: 10, openFor: 5s } } }
routes:
  - { match: /a, upstreams: [a], retry: { maxAttempts: 3, backoff: { base: 10ms, cap: 100ms } } }
`), plain);
    expect(plain.draws).toBe(0);
    const drawing = counting();
    build(parse(CONFIG), drawing);
    expect(drawing.draws).toBe(2);
  });

  it('zeroes the series of every configured policy before any request', async () => {
    const state = build(parse(CONFIG));
    const text = await state.metrics.text();
    expect(text).toContain('retry_attempts_total{route="/one/**",provider="a"} 0');
    expect(text).toContain('retry_budget_exhausted_total{route="/one/**",provider="b"} 0');
    expect(text).toContain('adaptive_throttling_rejections_total{provider="a"} 0');
    expect(text).toContain('bulkhead_rejections_total{scope="provider",name="a",reason="full"} 0');
    expect(text).toContain('fallback_invocations_total{route="/two/**",tier="spare"} 0');
    expect(text).not.toContain('retry_budget_exhausted_total{route="/two/**"');
  });

});
