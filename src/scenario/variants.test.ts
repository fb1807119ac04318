import { describe, expect, it } from 'vitest';
import { formatIssues } from '../config/issues.ts';
import { parseRouterConfig } from '../router/load.ts';
import { parseScenario, readScenarioFile, type ScenarioContext } from './load.ts';
import { settingSide } from './variants.ts';
import type { RouterTarget } from '../model/scenario.ts';

const ROUTER = `name: api
providers:
  backend: { url: http://127.0.0.1:9001, breaker: { failureRate: 50%, minimumCalls: 10, window: 10s, openFor: 5s } }
routes:
  - match: /api/**
    upstreams: [backend]
    timeout: 300ms
    retry:
      maxAttempts: 5
      on: [5xx, timeout]
      backoff: { base: 20ms, cap: 500ms, jitter: full }
      budget: { type: tokens, maxTokens: 10, tokenRatio: 0.1 }
`;

const ctx: ScenarioContext = { fileExists: () => true, routerConfig: (p, o) => parseRouterConfig(ROUTER, p, undefined, o) };

const scenario = (variants: string) => `name: s
target: { router: api.yaml }
providers:
  - { name: backend, fixture: backend }
load:
  rate: 60/s
  duration: 10s
  requests: [{ path: /api/x }]
faults:
  - { name: brownout, target: { provider: backend }, layer: http, kind: error, status: 503, rate: 50%, from: 2s, to: 3s }
slos:
  - { name: avail, expr: availability >= 90% }
variants:
${variants}`;

const load = (variants: string) => parseScenario(scenario(variants), 's.yaml', ctx);
const lines = (variants: string) => {
  const r = load(variants);
  return r.ok ? [] : formatIssues(r.issues).split('\n');
};

describe('settingSide', () => {
  it('reads the scenario roots as the scenario, anything else as the router, and the explicit prefixes', () => {
    expect(settingSide('load.rate')).toEqual({ side: 'scenario', path: 'load.rate' });
    expect(settingSide('faults[brownout].to')).toEqual({ side: 'scenario', path: 'faults[brownout].to' });
    expect(settingSide('retry.budget')).toEqual({ side: 'router', path: 'retry.budget' });
    expect(settingSide('providers[backend].breaker.failureRate')).toEqual({ side: 'router', path: 'providers[backend].breaker.failureRate' });
    expect(settingSide('scenario.providers[backend].capacity')).toEqual({ side: 'scenario', path: 'providers[backend].capacity' });
    expect(settingSide('router.name')).toEqual({ side: 'router', path: 'name' });
  });
});

describe('variants: each a whole scenario', () => {
  it('expands router and scenario settings, names and expectations', () => {
    const r = load(`  - name: no-budget
    expect: fail
    set: { retry.budget: off }
  - name: busier
    description: more load, a longer brown-out
    set:
      load.rate: 80/s
      faults[brownout].to: 4s
      routes[/api/**].retry.backoff.base: 50ms
      providers[backend].breaker.failureRate: 20%
`);
    expect(r.ok, r.ok ? '' : formatIssues(r.issues)).toBe(true);
    if (!r.ok) return;
    const [a, b] = r.scenario.variants!;
    expect(r.scenario.variants).toHaveLength(2);
    expect(a!.name).toBe('no-budget');
    expect(a!.scenario).toMatchObject({ name: 's~no-budget', expect: 'fail' });
    expect(a!.scenario.target).toMatchObject({ kind: 'router', set: [{ path: 'retry.budget', value: 'off', at: { line: 16, column: 26, path: 'variants[0].set["retry.budget"]' } }] });
    expect(a!.scenario.variants).toBeUndefined();
    expect(b!.scenario).toMatchObject({ name: 's~busier', expect: 'pass', load: { rate: 80 } });
    expect(b!.scenario.faults[0]).toMatchObject({ fromMs: 2000, toMs: 4000 });
    expect(b!.description).toBe('more load, a longer brown-out');
    // The report's "scenario as run": the file's text, and the variant's settings.
    expect(r.scenario.source?.variant).toBeUndefined();
    expect(a!.scenario.source).toMatchObject({ text: expect.stringContaining('name: no-budget'), variant: { name: 'no-budget', set: { 'retry.budget': 'off' } } });
    expect((b!.scenario.target as { set: { path: string }[] }).set.map((s) => s.path)).toEqual(['routes[/api/**].retry.backoff.base', 'providers[backend].breaker.failureRate']);
    // The base is untouched.
    expect(r.scenario).toMatchObject({ name: 's', load: { rate: 60 } });
    expect(r.scenario.target).not.toHaveProperty('set');
  });

  it('reports every bad variant at once, each at its own line and field', () => {
    expect(
      lines(`  - name: a
    set: { retyr.budget: off }
  - name: a
    set: { load.rate: fast }
  - name: base
    set:
      routes[/apx/**].timeout: 1s
      retry.backoff.jitter: sometimes
      faults[brownot].to: 4s
      faults[brownout].to: 20s
`),
    ).toEqual([
      expect.stringMatching(/^s\.yaml:15:26 {2}variants\[0\]\.set\["retyr\.budget"\] {2}`retyr\.budget`: names nothing: `retyr` is no top-level field, and no route or provider has it \(expected a top-level field \(name, providers, routes,/),
      's.yaml:16:11  variants[1].name  duplicate variant name `a` (first on line 14)',
      's.yaml:17:23  variants[1].set["load.rate"]  `load.rate: fast` sets load.rate in s.yaml: invalid value (expected a rate like 50/s or 600/m, found "fast")',
      's.yaml:18:11  variants[2].name  `base` names the scenario itself in the comparison; call the variant something else',
      's.yaml:20:32  variants[2].set["routes[/apx/**].timeout"]  `routes[/apx/**].timeout`: routes: no item has match "/apx/**" (did you mean `/api/**`?); there are: /api/**',
      expect.stringMatching(/^s\.yaml:21:29 {2}variants\[2\]\.set\["retry\.backoff\.jitter"\] {2}`retry\.backoff\.jitter: sometimes` sets routes\[0\]\.retry\.backoff\.jitter in \S*api\.yaml: invalid value \(expected one of: none, full, equal, decorrelated, found "sometimes"\)$/),
      's.yaml:22:27  variants[2].set["faults[brownot].to"]  `faults[brownot].to`: faults: no item has name "brownot" (did you mean `brownout`?); there are: brownout',
      's.yaml:23:28  variants[2].set["faults[brownout].to"]  `faults[brownout].to: 20s` sets faults[0].to in s.yaml: the fault ends at 20s, after the run ends at 10s',
    ]);
  });

  it('a router setting on a target that is not the reference router is an issue', () => {
    const text = scenario('  - { name: x, set: { retry.budget: off } }\n').replace('target: { router: api.yaml }', 'target: { url: http://127.0.0.1:1 }');
    const r = parseScenario(text, 's.yaml', ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatIssues(r.issues)).toMatch(/variants\[0\]\.set\["retry\.budget"\] {2}`retry\.budget` is a router setting, but this scenario's target is not the reference router/);
  });

  it('the schema checks a variant: a name, and at least one setting', () => {
    const out = lines('  - { name: x, set: {} }\n  - { set: { load.rate: 80/s } }\n');
    expect(out.some((l) => /variants\[0\]\.set/.test(l))).toBe(true);
    expect(out.some((l) => /variants\[1\].*missing required field `name`/.test(l))).toBe(true);
  });

  it('while the base has issues, a variant reports only its own', () => {
    const text = scenario('  - { name: x, set: { load.rate: 80/s, retyr.x: 1 } }\n').replace('availability >= 90%', 'availabilty >= 90%');
    const r = parseScenario(text, 's.yaml', ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const out = formatIssues(r.issues).split('\n');
    expect(out.filter((l) => /availabilty/.test(l))).toHaveLength(1);
    expect(out.filter((l) => /retyr/.test(l))).toHaveLength(1);
  });

  it('--duration-style overrides apply to every variant too', () => {
    const r = parseScenario(scenario('  - { name: x, set: { load.rate: 80/s } }\n'), 's.yaml', ctx, { overrides: { duration: '5s' } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.scenario.variants![0]!.scenario.load.durationMs).toBe(5000);
  });

  it('the bundled retry-storm names the broken twin as a variant: its load, faults and SLOs are the twin’s, its router settings the twin’s differences', async () => {
    const r = await readScenarioFile(new URL('../../scenarios/incidents/retry-storm.yaml', import.meta.url).pathname);
    const twin = await readScenarioFile(new URL('../../scenarios/incidents/retry-storm.broken.yaml', import.meta.url).pathname);
    expect(r.ok && twin.ok).toBe(true);
    if (!r.ok || !twin.ok) return;
    const broken = r.scenario.variants!.find((v) => v.name === 'broken')!.scenario;
    expect(broken.expect).toBe('fail');
    expect(broken.load).toEqual(twin.scenario.load);
    expect(broken.faults).toEqual(twin.scenario.faults);
    expect(broken.slos).toEqual(twin.scenario.slos);
    // The settings compile to the twin's router config.
    const { loadRouterConfig } = await import('../router/load.ts');
    const target = broken.target as RouterTarget;
    const mine = await loadRouterConfig(target.config, { set: target.set ?? [] });
    const theirs = await loadRouterConfig((twin.scenario.target as { config: string }).config);
    expect(mine.ok && theirs.ok).toBe(true);
    if (mine.ok && theirs.ok) expect({ ...mine.value, name: '' }).toEqual({ ...theirs.value, name: '' });
  });
});

describe('overrides on a scenario already loaded', () => {
  it('reach its variants too', async () => {
    const { applyOverrides } = await import('./overrides.ts');
    const r = parseScenario(scenario('  - { name: x, set: { load.rate: 80/s } }\n'), 's.yaml', ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const o = applyOverrides(r.scenario, { duration: '5s', seed: 9 });
    expect(o.ok).toBe(true);
    if (o.ok) expect(o.scenario.variants![0]!.scenario).toMatchObject({ seed: 9, load: { durationMs: 5000, rate: 80 } });
  });
});
