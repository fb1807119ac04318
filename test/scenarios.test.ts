/**
 * The bundled scenarios (scenarios/*.yaml) as files: each one loads, names fixtures the
 * catalogue has and a router config that compiles, and that config's every provider is one
 * the scenario starts (else the router would call a dead URL); each broken twin expects to
 * fail and has a sibling that expects to pass, under the same name with `-broken`. The runs
 * themselves are `npm start`.
 *
 * Also: every fixture provider in src/providers/services.ts answers the paths its routes
 * forward, in-process (MSW), with who answered in the body.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../src/core/rng.ts';
import { formatIssues } from '../src/config/issues.ts';
import { fixtureNames } from '../src/providers/catalogue.ts';
import { providerHandlers } from '../src/providers/provider.ts';
import { serviceFixtures } from '../src/providers/services.ts';
import { loadRouterConfig } from '../src/router/load.ts';
import { readScenarioFile } from '../src/scenario/load.ts';
import type { Scenario } from '../src/model/scenario.ts';

const dir = new URL('../scenarios/', import.meta.url).pathname;
const yamlIn = (sub: string) =>
  readdirSync(join(dir, sub))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => (sub === '' ? f : `${sub}/${f}`));
// `npm start` runs the top level only; scenarios/incidents/ (longer incident reproductions,
// `faultline suite scenarios/incidents`) and scenarios/tuning/ get the same file checks but
// not the suite budget.
const suiteFiles = yamlIn('');
const files = [...suiteFiles, ...yamlIn('incidents'), ...yamlIn('tuning')];
const twins = files.filter((f) => f.endsWith('.broken.yaml'));

async function load(file: string): Promise<Scenario> {
  const loaded = await readScenarioFile(join(dir, file));
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return loaded.scenario;
}

describe('scenarios/', () => {
  it('holds the seed cases, DESIGN.md cases 3–6 and their broken twins', () => {
    for (const f of [
      'joke-api-flaky.yaml',
      'weather-failover.yaml',
      'payments-stripe-eu-outage.yaml',
      'payments-stripe-eu-outage.broken.yaml',
      'gateway.yaml',
      'degradation.yaml',
      'degradation.broken.yaml',
      'load-shedding.yaml',
      'load-shedding.broken.yaml',
      'llm-failover.yaml',
      'canary-rollback.yaml',
      'catalog-replicas.yaml',
      'catalog-replicas.broken.yaml',
      'incidents/retry-storm.yaml',
      'incidents/retry-storm.broken.yaml',
    ]) {
      expect(files).toContain(f);
    }
  });

  describe.each(files)('%s', (file) => {
    it('loads, with fixtures the catalogue has', async () => {
      const s = await load(file);
      const known = fixtureNames();
      for (const p of s.providers) expect(known, `${p.name}'s fixture`).toContain(p.fixture);
    });

    it("names a router config that compiles, whose every provider the scenario starts", async () => {
      const s = await load(file);
      expect(s.target.kind).toBe('router');
      if (s.target.kind !== 'router') return;
      const loaded = await loadRouterConfig(s.target.config);
      if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
      const endpoints = new Set(s.providers.flatMap((p) => (p.regions.length === 0 ? [p.name] : p.regions.map((r) => `${p.name}@${r}`))));
      for (const p of loaded.value.providers) expect([...endpoints], `router provider ${p.key}`).toContain(p.key);
    });

  });

  describe.each(twins)('broken twin %s', (file) => {
    it('expects to fail, beside a sibling that expects to pass', async () => {
      const twin = await load(file);
      const siblingFile = file.replace(/\.broken\.yaml$/, '.yaml');
      expect(files).toContain(siblingFile);
      const sibling = await load(siblingFile);
      expect(twin.expect).toBe('fail');
      expect(sibling.expect).toBe('pass');
      expect(twin.name).toBe(`${sibling.name}-broken`);
      // The same experiment: only the system under test differs.
      expect(twin.load).toEqual(sibling.load);
      expect(twin.faults).toEqual(sibling.faults);
      expect(twin.slos).toEqual(sibling.slos);
      expect(twin.target).not.toEqual(sibling.target);
    });
  });

  // `npm start` runs every scenario in turn and must stay under 3 minutes on the 2 shared
  // cores: the load itself, plus about 1.5 s a scenario to start and stop its workers and
  // write its reports (measured: 2m36s for 133 s of load in 15 scenarios).
  it('fits in the 3-minute suite budget', async () => {
    let loadMs = 0;
    for (const f of suiteFiles) loadMs += (await load(f)).load.durationMs;
    expect(loadMs + suiteFiles.length * 2_000).toBeLessThanOrEqual(180_000);
  });

  // A sweep's starting point fails as configured, by design (README, "Sweeps"), and says so, so
  // `faultline suite scenarios/tuning` still meets every expectation.
  const SWEEP_STARTS = ['tuning/jitter.yaml'];
  it('has no broken twin without expect: fail, and no other file expecting to fail (but a sweep\'s starting point)', async () => {
    for (const f of files) {
      const s = await load(f);
      expect(s.expect, f).toBe(f.endsWith('.broken.yaml') || SWEEP_STARTS.some((x) => f.endsWith(x)) ? 'fail' : 'pass');
    }
  });
});

describe('service fixtures, in-process', () => {
  const calls: Array<{ fixture: string; method: string; path: string; body?: unknown; status: number; has: Record<string, unknown> }> = [
    { fixture: 'users', method: 'GET', path: '/api/users/17', status: 200, has: { id: '17' } },
    { fixture: 'products', method: 'GET', path: '/api/products/3', status: 200, has: { id: '3' } },
    { fixture: 'products', method: 'GET', path: '/api/products', status: 200, has: {} },
    { fixture: 'orders', method: 'GET', path: '/api/orders/1001', status: 200, has: { id: '1001' } },
    { fixture: 'orders', method: 'POST', path: '/api/orders', body: { items: ['kettle'] }, status: 201, has: { status: 'accepted' } },
    { fixture: 'orders', method: 'POST', path: '/api/orders', body: { items: [] }, status: 400, has: {} },
    { fixture: 'checkout', method: 'POST', path: '/api/checkout', body: { cart: 'c-1' }, status: 201, has: { cart: 'c-1', version: 'checkout' } },
    { fixture: 'score-model', method: 'GET', path: '/score/1001', status: 200, has: { id: '1001', engine: 'model' } },
    { fixture: 'score-rules', method: 'POST', path: '/applications', body: { applicant: 'a-1' }, status: 201, has: { engine: 'rules' } },
    { fixture: 'search', method: 'GET', path: '/search?q=trail+shoes', status: 200, has: { query: 'trail shoes' } },
    { fixture: 'nlp', method: 'GET', path: '/nlp/parse?q=tent', status: 200, has: { query: 'tent' } },
    { fixture: 'personalisation', method: 'GET', path: '/personalise/u-1', status: 200, has: { user: 'u-1' } },
    { fixture: 'backend', method: 'GET', path: '/api/anything/here', status: 200, has: { path: '/api/anything/here', ok: true } },
  ];
  const fixtures = Object.keys(serviceFixtures);
  const origin = (fixture: string) => `http://127.0.0.1:${19_000 + fixtures.indexOf(fixture)}`;
  const server = setupServer(...fixtures.flatMap((f) => providerHandlers({ provider: f, fixture: f, baseUrl: origin(f), rng: seededRng(3) })));
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterAll(() => server.close());

  const send = (fixture: string, method: string, path: string, body?: unknown) =>
    fetch(origin(fixture) + path, { method, ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });

  it('are all in the catalogue', () => {
    for (const f of fixtures) expect(fixtureNames()).toContain(f);
  });

  it.each(calls)('$fixture answers $method $path with $status', async ({ fixture, method, path, body, status, has }) => {
    const res = await send(fixture, method, path, body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as Record<string, unknown>;
    if (status < 400) expect(json).toMatchObject({ ...has, provider: fixture });
  });

  it('an OpenAI-like provider answers with the model asked for and a usage block', async () => {
    const res = await send('openai', 'POST', '/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 30, messages: [{ role: 'user', content: 'Hello there, how are you?' }] });
    const json = (await res.json()) as { model: string; object: string; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    expect(json).toMatchObject({ model: 'gpt-4o-mini', object: 'chat.completion' });
    expect(json.usage.prompt_tokens).toBe(Math.ceil('Hello there, how are you?'.length / 4));
    expect(json.usage.completion_tokens).toBeGreaterThan(0);
    expect(json.usage.completion_tokens).toBeLessThanOrEqual(30);
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
  });

  it('an Anthropic-like provider answers in its own shape, on its path and on the OpenAI one', async () => {
    for (const path of ['/v1/messages', '/v1/chat/completions']) {
      const res = await send('anthropic', 'POST', path, { model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
      const json = (await res.json()) as { model: string; type: string; content: Array<{ type: string }>; usage: { input_tokens: number; output_tokens: number } };
      expect(json).toMatchObject({ model: 'claude-3-5-haiku-latest', type: 'message' });
      expect(json.content[0]!.type).toBe('text');
      expect(json.usage.input_tokens).toBe(1);
      expect(json.usage.output_tokens).toBeGreaterThan(0);
    }
  });

  it('chat providers refuse a request without a model or messages', async () => {
    expect((await send('openai', 'POST', '/v1/chat/completions', { messages: [] })).status).toBe(400);
    expect((await send('anthropic', 'POST', '/v1/messages', { model: 'x' })).status).toBe(400);
  });

  it('answer the same for the same id, whatever the seed', async () => {
    const a = (await (await send('score-model', 'GET', '/score/42')).json()) as { score: number };
    const b = (await (await send('score-model', 'GET', '/score/42')).json()) as { score: number };
    expect(a.score).toBe(b.score);
  });
});
