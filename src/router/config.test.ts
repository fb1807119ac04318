import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../config/issues.ts';
import { loadRouterConfig, parseRouterConfig } from './load.ts';

const fixture = (name: string) => new URL(`../../fixtures/routers/${name}.yaml`, import.meta.url).pathname;

describe('router config', () => {
  it('loads every fixture router', async () => {
    const names = (await readdir(new URL('../../fixtures/routers/', import.meta.url))).filter((f) => f.endsWith('.yaml'));
    expect(names).toEqual(expect.arrayContaining(['joke.yaml', 'weather.yaml', 'degradation.yaml', 'payments.yaml', 'gateway.yaml', 'llm.yaml', 'canary.yaml']));
    for (const name of names) {
      const loaded = await loadRouterConfig(fixture(name.slice(0, -'.yaml'.length)));
      if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    }
  });

  it('compiles durations, percentages and defaults into numbers', async () => {
    const weather = await loadRouterConfig(fixture('weather'));
    expect(weather.ok && weather.value).toMatchObject({
      providers: [
        { key: 'weather-primary', breaker: { failureRate: 0.5, window: 10, minimumCalls: 5, openFor: 3_000, halfOpen: { probes: 2, successesToClose: 2 }, failureOn: ['5xx', 'network', 'timeout'] } },
        { key: 'weather-backup', breaker: { openFor: 3_000 } },
      ],
      routes: [{ match: '/weather/**', upstreams: ['weather-primary', 'weather-backup'], timeout: 250 }],
    });
    const joke = await loadRouterConfig(fixture('joke'));
    expect(joke.ok && joke.value.routes[0]!.retry).toEqual({
      maxAttempts: 5,
      on: ['5xx', 'network', 'timeout'],
      backoff: { base: 20, cap: 200, jitter: 'full' },
      retryAfterCap: 200,
      idempotentOnly: true,
    });
  });

  it('keys regional providers as name@region', () => {
    const loaded = parseRouterConfig(`
name: pay
providers:
  stripe: { regions: { eu: { url: "http://127.0.0.1:1" }, us: { url: "http://127.0.0.1:2" } } }
  adyen: { url: "http://127.0.0.1:3" }
routes:
  - { match: /pay/eu, upstreams: [stripe@eu, adyen] }
  - { match: /pay/us, upstreams: [stripe@us] }
`);
    expect(loaded.ok && loaded.value.providers.map((p) => [p.key, p.name, p.region])).toEqual([
      ['stripe@eu', 'stripe', 'eu'],
      ['stripe@us', 'stripe', 'us'],
      ['adyen', 'adyen', undefined],
    ]);
  });

  it('reads bare status codes in condition lists as they are written in YAML: numbers', () => {
    const loaded = parseRouterConfig(`name: x
providers: { a: { url: http://a.test } }
routes:
  - { match: /a, upstreams: [a], retry: { maxAttempts: 2, on: [429, 503, network] }, failoverOn: [5xx, 429] }
`);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    expect(loaded.value.routes[0]).toMatchObject({ retry: { on: ['429', '503', 'network'] }, failoverOn: ['5xx', '429'] });
    const bad = parseRouterConfig(`name: x
providers: { a: { url: http://a.test } }
routes:
  - { match: /a, upstreams: [a], failoverOn: [700] }
`);
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual(['routes[0].failoverOn[0]']);
  });

  it('reports every problem at once, each at its line', () => {
    const loaded = parseRouterConfig(
      `name: weather
providers:
  weather-primary: { url: http://127.0.0.1:9201 }
  stripe: { regions: { eu: { url: http://127.0.0.1:1 } } }
routes:
  - match: /weather/**
    upstreams: [weather-primari, stripe]
    retry: { maxAttempts: 3, backoff: { base: 2s, cap: 1s } }
    breaker: { failureRate: 50%, window: 5, minimumCalls: 10, openFor: 5s, halfOpen: { probes: 1, successesToClose: 2 } }
`,
      'weather.yaml',
    );
    expect(loaded.ok).toBe(false);
    const issues = loaded.ok ? [] : loaded.issues;
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [7, 'routes[0].upstreams[0]'],
      [7, 'routes[0].upstreams[1]'],
      [8, 'routes[0].retry.backoff.base'],
      [9, 'routes[0].breaker.minimumCalls'],
      [9, 'routes[0].breaker.halfOpen.successesToClose'],
    ]);
    expect(issues[0]!.message).toContain('did you mean weather-primary?');
    expect(issues[1]!.expected).toBe('stripe@eu');
  });

  it('rejects values people mistype: bare numbers for durations, unknown conditions and jitters', () => {
    const loaded = parseRouterConfig(`
name: joke
providers: { joke: { url: http://127.0.0.1:1 } }
routes:
  - match: /joke
    upstreams: [joke]
    timeout: 300
    retry: { maxAttempts: 3, on: [5xx, boom], backoff: { base: 10ms, cap: 1s, jitter: ful } }
`);
    expect(loaded.ok ? [] : loaded.issues.map((i) => i.path)).toEqual(['routes[0].timeout', 'routes[0].retry.on[1]', 'routes[0].retry.backoff.jitter']);
  });

  it('refuses two different breakers for one provider', () => {
    const loaded = parseRouterConfig(`
name: w
providers: { p: { url: http://127.0.0.1:1 } }
routes:
  - { match: /a, upstreams: [p], breaker: { failureRate: 50%, window: 10, openFor: 5s } }
  - { match: /b, upstreams: [p], breaker: { failureRate: 20%, window: 10, openFor: 5s } }
`);
    expect(loaded.ok ? [] : loaded.issues.map((i) => i.message)).toEqual([expect.stringMatching(/p already has a different breaker \(routes\[0\]\.breaker\)/)]);
  });

  it('compiles every resilience policy into numbers, with the field’s defaults', () => {
    const loaded = parseRouterConfig(`
name: all
clients: { trustedProxies: [10.0.0.0/8, "::1"] }
rateLimit: { limit: 100, window: 1m }
loadShedding: { maxInFlight: 100, maxQueueDelay: 20ms, priorityHeader: x-priority, shedAt: { sheddable: 40% } }
providers:
  a:
    url: http://127.0.0.1:1
    bulkhead: { maxConcurrentCalls: 5, queueCapacity: 10, maxWaitDuration: 100ms }
    adaptiveThrottling: {}
    breaker: { failureRate: 10%, window: 30s, slowCall: { duration: 1s, rate: 80% }, openFor: 5s, openBackoff: { multiplier: 2, max: 1m } }
  b: { url: http://127.0.0.1:2 }
routes:
  - match: /x
    upstreams: [a, b]
    deadline: 2s
    priority: sheddable
    rateLimit: { limit: 5, window: 1s, algorithm: token-bucket, burst: 10, ipv6Prefix: 56 }
    bulkhead: { maxConcurrentCalls: 50 }
    retry: { maxAttempts: 3, budget: { type: concurrency } }
    outlierDetection: { failurePercentage: {} }
    fallback: { tiers: [{ tier: upstreams }, { tier: cache }, { tier: static, body: "later", status: 503 }] }
  - { match: /y, upstreams: [b], retry: { maxAttempts: 2, budget: { type: quota } } }
`);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    const c = loaded.value;
    expect(c.trustedProxies).toEqual(['10.0.0.0/8', '::1']);
    expect(c.rateLimit).toEqual({ algorithm: 'sliding-window', limit: 100, window: 60_000 });
    expect(c.loadShedding).toEqual({
      priorities: ['critical-plus', 'critical', 'sheddable-plus', 'sheddable'],
      defaultPriority: 'critical',
      priorityHeader: 'x-priority',
      maxInFlight: 100,
      maxQueueDelay: 20,
      shedAt: { sheddable: 0.4 },
    });
    expect(c.providers[0]).toMatchObject({
      bulkhead: { maxConcurrentCalls: 5, queueCapacity: 10, maxWaitDuration: 100 },
      adaptiveThrottling: { k: 2, window: 120_000, buckets: 12, rejectOn: ['5xx', '429', 'network', 'timeout'] },
      breaker: {
        failureRate: 0.1,
        windowType: 'time',
        window: 30_000,
        buckets: 10,
        minimumCalls: 100,
        slowCall: { duration: 1_000, rate: 0.8 },
        openBackoff: { multiplier: 2, max: 60_000 },
      },
    });
    expect(c.routes[0]).toMatchObject({
      deadline: 2_000,
      priority: 'sheddable',
      rateLimit: { algorithm: 'token-bucket', limit: 5, window: 1_000, burst: 10, ipv6Prefix: 56 },
      bulkhead: { maxConcurrentCalls: 50, queueCapacity: 0 },
      retry: { budget: { type: 'concurrency', budgetPercent: 0.2, minRetryConcurrency: 3 } },
      outlierDetection: {
        consecutive5xx: 5,
        interval: 10_000,
        baseEjectionTime: 30_000,
        maxEjectionTime: 300_000,
        maxEjectionPercent: 0.1,
        failurePercentage: { threshold: 0.85, requestVolume: 50, minimumHosts: 5 },
      },
      fallback: {
        tiers: [
          { tier: 'upstreams', name: 'a+b', upstreams: ['a', 'b'] },
          { tier: 'cache', name: 'cache', maxAge: 300_000, maxEntries: 1_000 },
          { tier: 'static', name: 'static', status: 503, body: 'later', headers: {} },
        ],
      },
    });
    expect(c.routes[1]!.retry!.budget).toEqual({ type: 'quota', initialTokens: 500, retryCost: 5, timeoutCost: 10, noRetryIncrement: 1 });
  });

  it('reports mistakes in the resilience policies at their lines', () => {
    const loaded = parseRouterConfig(
      `name: bad
clients: { trustedProxies: [10.0.0.0/33, localhost] }
loadShedding: { priorityHeader: x-priority }
providers:
  a: { url: http://127.0.0.1:1 }
routes:
  - match: /x
    upstreams: [a]
    timeout: 1s
    deadline: 500ms
    priority: shedable
    retry: { maxAttempts: 3, budget: { type: tokens, maxTokens: 10, tokenRatio: 0.1 } }
    breaker: { failureRate: 50%, window: 10, buckets: 5, openFor: 1s, openBackoff: { multiplier: 2, max: 100ms } }
    fallback: { tiers: [{ tier: cache }, { tier: static, json: {}, body: x }] }
    outlierDetection: { consecutive5xx: 0 }
`,
      'bad.yaml',
    );
    expect(loaded.ok).toBe(false);
    const issues = loaded.ok ? [] : loaded.issues;
    const at = issues.map((i) => `${i.line} ${i.path}: ${i.message}`);
    expect(at).toEqual([
      expect.stringMatching(/^2 clients\.trustedProxies\[0\]: .*prefix length/),
      expect.stringMatching(/^2 clients\.trustedProxies\[1\]: .*not an IP address/),
      expect.stringMatching(/^3 loadShedding.maxInFlight: .*capacity/),
      expect.stringMatching(/^10 routes\[0\]\.deadline: .*shorter than the per-attempt timeout/),
      expect.stringMatching(/^11 routes\[0\]\.priority: unknown priority "shedable" \(did you mean sheddable\?\)/),
      expect.stringMatching(/^13 routes\[0\]\.breaker\.buckets: .*time window/),
      expect.stringMatching(/^13 routes\[0\]\.breaker\.openBackoff\.max: .*shorter than openFor/),
      expect.stringMatching(/^14 routes\[0\]\.fallback\.tiers: .*needs an `upstreams` tier/),
      expect.stringMatching(/^14 routes\[0\]\.fallback\.tiers\[1\]: give `json` or `body`/),
      expect.stringMatching(/^15 routes\[0\]\.outlierDetection\.consecutive5xx: .*nothing would ever be ejected/),
    ]);
  });

  it('names the budget type meant by a typo, and refuses out-of-range counts before anything else', () => {
    const loaded = parseRouterConfig(`
name: bad
providers: { a: { url: http://127.0.0.1:1, bulkhead: { maxConcurrentCalls: 0 } } }
routes:
  - { match: /x, upstreams: [a], retry: { maxAttempts: 3, budget: { type: token, maxTokens: 10 } } }
`);
    expect(loaded.ok ? [] : loaded.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'providers.a.bulkhead.maxConcurrentCalls: out of range',
      'routes[0].retry.budget.type: unknown type `token` (did you mean `tokens`?)',
    ]);
  });
});

describe('router config: hostile input (faultline router --config)', () => {
  const route = (extra: string) => `
name: joke
providers: { joke: { url: http://127.0.0.1:1 } }
routes:
  - match: /joke
    upstreams: [joke]
${extra}`;
  const issuesOf = (text: string) => {
    const loaded = parseRouterConfig(text);
    if (loaded.ok) throw new Error('expected issues');
    return loaded.issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
  };

  it('bounds durations to a timer Node can set', () => {
    expect(issuesOf(route(`    timeout: 1000h\n    retry: { maxAttempts: 3, on: [5xx], backoff: { base: ${'9'.repeat(400)}ms, cap: 1s } }\n`))).toEqual([
      '7:14 routes[0].timeout a duration cannot exceed 596h (2³¹−1 ms, the longest timer Node can set)',
      '8:58 routes[0].retry.backoff.base a duration cannot exceed 596h (2³¹−1 ms, the longest timer Node can set)',
    ]);
  });

  it('an alias bomb, an unresolved alias and deep nesting are positioned issues', () => {
    const bomb = `a: &a [${Array(10).fill(1).join(',')}]\nb: &b [${Array(10).fill('*a').join(',')}]\nc: [${Array(10).fill('*b').join(',')}]\n`;
    expect(issuesOf(bomb)).toEqual(['2:8  aliases expand too far (an alias bomb?): at most 100 alias expansions are read']);
    expect(issuesOf('name: *x\n')).toEqual(['1:7  alias `*x` refers to no anchor: `&x` must be set before it']);
    expect(issuesOf(`${'- '.repeat(3000)}1\n`).every((i) => i.includes('nested too deeply'))).toBe(true);
  });
});
