import { describe, expect, it } from 'vitest';
import { formatIssues } from '../config/load.ts';
import { loadRouterConfig, parseRouterConfig } from './config.ts';

const fixture = (name: string) => new URL(`../../fixtures/routers/${name}.yaml`, import.meta.url).pathname;

describe('router config', () => {
  it('loads every fixture router', async () => {
    for (const name of ['joke', 'joke.broken', 'weather', 'weather.broken']) {
      const loaded = await loadRouterConfig(fixture(name));
      if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    }
  });

  it('compiles durations, percentages and defaults into numbers', async () => {
    const weather = await loadRouterConfig(fixture('weather'));
    expect(weather.ok && weather.value).toMatchObject({
      providers: [
        { key: 'weather-primary', breaker: { failureRate: 0.5, window: 10, minimumCalls: 5, openFor: 5_000, halfOpen: { probes: 2, successesToClose: 2 }, failureOn: ['5xx', 'network', 'timeout'] } },
        { key: 'weather-backup', breaker: { openFor: 5_000 } },
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
});
