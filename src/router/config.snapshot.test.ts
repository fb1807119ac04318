/**
 * A stable rendering of what the router config compiles to — every bundled router, a config
 * using every option, a set of bad configs, and the schemas themselves — pinned in a
 * snapshot, so moving the config's pieces around cannot change what a file means or how
 * its mistakes are reported.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RouterConfigSchema } from './config.ts';
import { loadRouterConfig, parseRouterConfig } from './load.ts';
import { LlmRegistrySchema } from './routing/llm.ts';

const root = new URL('../../', import.meta.url).pathname;

/** JSON with Maps and Sets spelled out and this checkout's path replaced, so the rendering is the same in any worktree. */
function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Map) return { '<Map>': [...v.entries()] };
    if (v instanceof Set) return { '<Set>': [...v.values()] };
    if (typeof v === 'string') return v.split(root).join('<root>/');
    return v;
  });
}

/** One line per top-level field, and per element of a top-level list (a provider, a route, an issue): short enough to read a difference. */
function render(value: unknown): string {
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as object);
  return entries.flatMap(([k, v]) => (Array.isArray(v) ? v.map((e, i) => `${k}[${i}]: ${json(e)}`) : [`${k}: ${json(v)}`])).join('\n');
}

const EVERYTHING = `
name: everything
providers:
  a:
    url: http://127.0.0.1:1
    breaker: { failureRate: 40%, window: 30s, buckets: 6, minimumCalls: 7, slowCall: { duration: 1s, rate: 80% }, openFor: 2s, openBackoff: { multiplier: 2, max: 1m }, halfOpen: { probes: 3, successesToClose: 2 }, failureOn: [5xx, 429, timeout] }
    bulkhead: { maxConcurrentCalls: 4, queueCapacity: 2, maxWaitDuration: 100ms }
    adaptiveThrottling: { k: 1.5, window: 1m, buckets: 6, rejectOn: [5xx, network], minRequests: 5 }
  b:
    regions: { eu: { url: http://127.0.0.1:2 }, us: { url: http://127.0.0.1:3 } }
    breaker: { failureRate: 50%, window: 10, openFor: 5s }
    adaptiveThrottling: {}
  c: { url: http://127.0.0.1:4 }
clients: { trustedProxies: [10.0.0.0/8, 127.0.0.1] }
rateLimit: { limit: 100, window: 1m, algorithm: token-bucket, burst: 20, maxClients: 50, ipv6Prefix: 56 }
loadShedding: { maxInFlight: 10, maxQueueDelay: 50ms, interval: 200ms, priorities: [high, low], defaultPriority: low, priorityHeader: x-priority, shedAt: { low: 60% } }
maxRequestBody: 512KiB
server: { headersTimeout: 5s, requestTimeout: 20s, keepAliveTimeout: 1s, idleTimeout: 1m }
routes:
  - match: /a/**
    upstreams: [b@eu, c]
    timeout: 300ms
    deadline: 2s
    priority: high
    rateLimit: { limit: 5, window: 1s }
    bulkhead: { maxConcurrentCalls: 2 }
    retry: { maxAttempts: 3, on: [5xx, 503, network], backoff: { base: 10ms, cap: 100ms, jitter: decorrelated }, retryAfterCap: 2s, idempotentOnly: false, budget: { type: concurrency, budgetPercent: 30%, minRetryConcurrency: 1 } }
    breaker: { failureRate: 50%, window: 10, openFor: 5s }
    outlierDetection: { consecutive5xx: 3, interval: 5s, baseEjectionTime: 10s, maxEjectionTime: 1m, maxEjectionPercent: 50%, failurePercentage: { threshold: 70%, requestVolume: 10, minimumHosts: 1 }, failureOn: [5xx] }
    fallback:
      tiers:
        - { tier: upstreams }
        - { tier: upstreams, name: spare, upstreams: [a] }
        - { tier: cache, maxAge: 1m, maxEntries: 10 }
        - { tier: static, status: 203, json: { ok: false }, headers: { X-Degraded: yes } }
        - { tier: queue, capacity: 5 }
    failoverOn: [5xx, timeout]
    maxRequestBody: 1MiB
  - match: /b
    upstreams: [c]
    retry: { maxAttempts: 2, budget: { type: tokens, maxTokens: 10, tokenRatio: 0.1 } }
  - match: /c
    upstreams: [c]
    retry: { maxAttempts: 4, budget: { type: quota, retryCost: 2 } }
    outlierDetection: {}
    fallback: { tiers: [{ tier: upstreams }, { tier: static, body: sorry }] }
  - match: /d
    upstreams: [c]
    retry: { maxAttempts: 1 }
`;

/** Each one wrong in a different way: the issues are the rendering. */
const BAD: Record<string, string> = {
  names: `
name: bad
providers: { Bad_Name: { url: http://x }, r: { regions: { EU: { url: http://x } } }, both: { url: http://x, regions: { eu: { url: http://y } } }, none: {}, empty: { regions: {} } }
routes: [{ match: /, upstreams: [r, nope, r@eu] }]
`,
  policies: `
name: bad
providers:
  a:
    url: http://x
    breaker: { failureRate: 0%, window: 10, buckets: 3, minimumCalls: 20, openFor: 0s, halfOpen: { probes: 2, successesToClose: 3 } }
    bulkhead: { maxConcurrentCalls: 1, maxWaitDuration: 0ms }
    adaptiveThrottling: { window: 1ms, buckets: 1000 }
  b: { url: http://x, breaker: { failureRate: 50%, window: 10, openFor: 1s } }
rateLimit: { limit: 10, window: 0s, burst: 5 }
loadShedding: { shedAt: { nope: 50% }, defaultPriority: nope }
clients: { trustedProxies: [not-an-ip, 10.0.0.0/99] }
maxRequestBody: 2GiB
server: { headersTimeout: 40s, requestTimeout: 30s, idleTimeout: 0s }
routes:
  - match: /
    upstreams: [a, a, b]
    timeout: 2s
    deadline: 1s
    priority: sheddabel
    breaker: { failureRate: 60%, window: 10, openFor: 1s }
    retry: { maxAttempts: 3, backoff: { base: 2s, cap: 1s } }
    outlierDetection: { interval: 0s, maxEjectionTime: 1s, baseEjectionTime: 2s }
    bulkhead: { maxConcurrentCalls: 1, queueCapacity: 1, maxWaitDuration: 0s }
    rateLimit: { limit: 1, window: 1s, algorithm: sliding-window, burst: 2 }
    fallback: { tiers: [{ tier: cache }, { tier: static, json: 1, body: x }, { tier: cache }, { tier: upstreams, upstreams: [nope] }] }
  - match: /x
    upstreams: [a]
    fallback: { tiers: [{ tier: queue }] }
  - match: /y
    upstreams: [b]
    deadline: 0s
    timeout: 0s
`,
  schema: `
name: Bad
providers: { a: { url: ftp://x, breaker: { failureRate: 50, window: 1.5, openFor: soon } } }
routes: [{ match: nope, upstreams: [], retry: { maxAttempts: 11, on: [6xx] }, timeout: 1y, extra: 1 }]
`,
  routing: `
name: bad
providers: { a: { url: http://x }, b: { url: http://x } }
routes:
  - match: /s
    upstreams: [a]
    select: { by: cost, fees: { z: 1% }, lastResort: [q], unlisted: deny, degradedAt: 0% }
    canary: { upstreams: [a], weight: 10%, window: 1s, minSamples: 1, rollback: {} }
    llm: { registry: missing.yaml }
    auth: { jwt: { algorithms: [HS256, RS256], secret: { value: short } } }
  - match: /t
    upstreams: [a]
    auth: { jwt: { algorithms: [HS256], secret: { env: NOT_SET_ANYWHERE_FAULTLINE } } }
  - match: /u
    upstreams: [a]
    auth: { jwt: { algorithms: [RS256], jwks: missing.json, publicKeys: [{ file: missing.pem, alg: RS256 }] } }
`,
};

describe('router config rendering (pinned)', () => {
  it('compiles every bundled router to the same config', async () => {
    const names = (await readdir(`${root}fixtures/routers/`)).filter((f) => f.endsWith('.yaml')).sort();
    for (const name of names) {
      const loaded = await loadRouterConfig(`${root}fixtures/routers/${name}`);
      expect(render(loaded.ok ? loaded.value : loaded.issues)).toMatchSnapshot(name);
    }
  });

  it('compiles a config using every option to the same config', () => {
    const loaded = parseRouterConfig(EVERYTHING, 'everything.yaml', { dir: root, read: () => '', env: {} });
    expect(loaded.ok).toBe(true);
    expect(render(loaded.ok ? loaded.value : loaded.issues)).toMatchSnapshot();
  });

  it.each(Object.keys(BAD))('reports the same issues for the bad config %s', (name) => {
    const loaded = parseRouterConfig(BAD[name]!, `${name}.yaml`, {
      dir: root,
      read: (path) => {
        throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
      },
      env: {},
    });
    expect(loaded.ok).toBe(false);
    expect(render(loaded.ok ? loaded.value : loaded.issues)).toMatchSnapshot();
  });

  it('keeps the schemas the same', () => {
    expect(render(RouterConfigSchema.properties)).toMatchSnapshot('RouterConfigSchema');
    expect(render(LlmRegistrySchema.properties)).toMatchSnapshot('LlmRegistrySchema');
    expect(render({ router: { ...RouterConfigSchema, properties: undefined }, registry: { ...LlmRegistrySchema, properties: undefined } })).toMatchSnapshot('schemas without their properties');
  });
});
