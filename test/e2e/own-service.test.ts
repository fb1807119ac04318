/**
 * Your own service under test, end to end over loopback: a plain node:http service
 * (test/fixtures/own-service/server.js) started by `target.command`, calling a real upstream
 * the test starts (a `url:` provider, through the proxy and the forwarding fault stage) and
 * a quotes upstream made of the user's own MSW handlers (`handlers:`), with a network fault
 * and an HTTP fault; and the ways a target fails to come up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { readScenarioFile } from '../../src/scenario/load.ts';
import { executeRun, type RunOutcome } from '../../src/run/run.ts';
import { EnvironmentError } from '../../src/run/environment.ts';
import { freePort } from '../../src/run/target.ts';
import { formatSummary } from '../../src/report/summary.ts';
import { childrenOf, processesWith } from '../support/processes.ts';

const SERVICE = new URL('../fixtures/own-service/', import.meta.url).pathname;

async function load(dir: string, name: string, yaml: string) {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, yaml);
  const loaded = await readScenarioFile(file);
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`).join('\n'));
  return loaded.scenario;
}

describe('your own service under test', () => {
  let dir: string;
  let reports: string;
  let upstream: Server;
  let upstreamUrl: string;
  let upstreamHits = 0;
  let quotesListen: string;
  let outcome: RunOutcome;
  const mark = `faultline-helper-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-own-'));
    reports = join(dir, 'reports');
    // The "real" payments upstream a `url:` provider names: a loopback server of the test's own.
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        upstreamHits++;
        const parsed = JSON.parse(body || '{}');
        res.writeHead(req.method === 'POST' && req.url === '/v1/charges' ? 201 : 404, { 'content-type': 'application/json', 'x-upstream': 'test' });
        res.end(JSON.stringify({ id: `ch_${upstreamHits}`, amount: parsed.amount }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    quotesListen = `127.0.0.1:${await freePort()}`;

    const scenario = await load(
      dir,
      'checkout',
      `
name: own-checkout
seed: 3
target:
  command: node server.js
  cwd: ${SERVICE}
  env:
    PAYMENTS_URL: "{{providers.payments.url}}"
    QUOTES_URL: "http://{{ providers.quotes.host }}:{{providers.quotes.port}}"
    HELPER_MARK: ${mark}
  ready: { http: /healthz, timeout: 20s }
  metrics: /metrics
providers:
  - { name: payments, url: ${upstreamUrl} }
  - { name: quotes, handlers: ${join(SERVICE, 'mocks/quotes.ts')}, listen: ${quotesListen} }
  - { name: unused, fixture: joke }
load:
  rate: 20/s
  duration: 3s
  timeout: 3s
  requests: [{ path: /checkout }]
faults:
  - { name: payments-flaky, target: { provider: payments }, layer: http, kind: error, status: 503, rate: 30% }
  - { name: quotes-slow, target: { provider: quotes }, layer: network, kind: latency, latency: 60ms }
slos:
  - { name: availability, expr: availability >= 95% }
`,
    );
    outcome = await executeRun(scenario, { reportsDir: reports, runId: 'own' });
  }, 90_000);

  afterAll(async () => {
    await new Promise((r) => upstream?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the service, wires it through the proxies and meets its SLO', () => {
    const { result } = outcome;
    expect(result.status, result.abortReason).toBe('completed');
    expect(result.load.requests).toBe(60);
    expect(result.slos[0]).toMatchObject({ name: 'availability', passed: true });
    // The network fault on quotes: every checkout waits for at least one slowed quote.
    expect(result.load.latency!.p50).toBeGreaterThanOrEqual(55);
  });

  it("scrapes the service's own Prometheus metrics", () => {
    const m = outcome.result.routerMetrics.find((s) => s.name === 'checkout_requests_total');
    expect(m?.value).toBe(60);
  });

  it('counts, as ground truth, what passed through the fault stage to the real upstream', () => {
    const rows = outcome.result.upstream.filter((u) => u.provider === 'payments');
    const byStatus: Record<string, number> = {};
    for (const r of rows) for (const [s, n] of Object.entries(r.byStatus)) byStatus[s] = (byStatus[s] ?? 0) + n;
    // The HTTP fault answered some with 503 before the upstream saw them; the rest reached it.
    expect(byStatus['503']).toBeGreaterThan(0);
    expect(byStatus['201']).toBe(upstreamHits);
    expect(upstreamHits).toBeGreaterThanOrEqual(57);
    expect(rows.map((r) => r.endpoint)).toEqual(['POST /v1/charges']);
    const quotes = outcome.result.upstream.filter((u) => u.provider === 'quotes');
    expect(quotes.map((q) => [q.endpoint, Object.keys(q.byStatus)])).toEqual([['GET /quotes/:sku', ['200']]]);
  });

  it('writes where each provider was reachable to result.json', async () => {
    const json = JSON.parse(await readFile(join(outcome.dir, 'result.json'), 'utf8'));
    const by = Object.fromEntries(json.providers.map((p: { name: string }) => [p.name, p]));
    expect(by.payments).toMatchObject({ kind: 'url', upstream: upstreamUrl, env: 'FAULTLINE_PROVIDER_PAYMENTS_URL' });
    expect(by.payments.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(by.payments.requests).toBeGreaterThanOrEqual(60);
    expect(by.quotes).toMatchObject({ kind: 'handlers', url: `http://${quotesListen}`, listen: quotesListen, requests: 60 });
    expect(by.unused).toMatchObject({ kind: 'fixture', fixture: 'joke', requests: 0 });
  });

  it('warns loudly about a provider that received no request, without changing the verdict', async () => {
    const { result } = outcome;
    expect(result.verdict).toBe('pass');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/provider `unused` received no request at all.*FAULTLINE_PROVIDER_UNUSED_URL/);
    const summary = formatSummary(result, { color: false });
    expect(summary.split('\n')[1]).toMatch(/^⚠ WARNING: provider `unused` received no request/);
  });

  it("captures the service's stdout and stderr in the report folder, and lists them", async () => {
    const files = await readdir(outcome.dir);
    expect(files).toEqual(expect.arrayContaining(['result.json', 'target.stdout.log', 'target.stderr.log']));
    expect(outcome.files).toEqual(expect.arrayContaining([join(outcome.dir, 'target.stdout.log'), join(outcome.dir, 'target.stderr.log')]));
    const stdout = await readFile(join(outcome.dir, 'target.stdout.log'), 'utf8');
    expect(stdout).toMatch(/checkout listening on \d+/);
    // Stopped with SIGTERM, which it handles.
    expect(stdout).toContain('SIGTERM: closing');
  });

  it("leaves nothing of the service's process group, nor any worker, behind", () => {
    expect(processesWith(mark)).toEqual([]);
    expect(processesWith(join(SERVICE, 'server.js')).concat(processesWith('node server.js'))).toEqual([]);
    expect(childrenOf(process.pid)).toEqual([]);
  });

  it('fails with an EnvironmentError naming the exit code and the last stderr lines when the command exits before it is ready', async () => {
    const scenario = await load(
      dir,
      'exits',
      `
name: exits
target:
  command: node -e "console.error('cannot connect to the database'); process.exit(3)"
  ready: { timeout: 10s }
providers: [{ name: quotes, handlers: ${join(SERVICE, 'mocks/quotes.ts')} }]
load: { rate: 5, duration: 1s, requests: [{ path: / }] }
slos: [{ name: a, expr: availability >= 99% }]
`,
    );
    const err = await executeRun(scenario, { reportsDir: reports, runId: 'exits' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/exited with code 3 before it was ready/);
    expect((err as Error).message).toContain('cannot connect to the database');
    // The logs stay, to read why.
    expect(await readFile(join(reports, 'exits', 'exits', 'target.stderr.log'), 'utf8')).toContain('cannot connect to the database');
    expect(childrenOf(process.pid)).toEqual([]);
  }, 30_000);

  it('says so when the service exits during the run', async () => {
    const scenario = await load(
      dir,
      'dies',
      `
name: dies
target:
  command: node -e "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1'); setTimeout(() => process.exit(5), 800)"
providers: [{ name: quotes, fixture: joke }]
load: { rate: 5, duration: 2s, timeout: 500ms, requests: [{ path: / }] }
slos: [{ name: a, expr: availability >= 99% }]
`,
    );
    const { result } = await executeRun(scenario, { reportsDir: reports, runId: 'dies' });
    expect(result.verdict).toBe('fail');
    expect(result.warnings).toEqual([
      expect.stringMatching(/^provider `quotes` received no request at all/),
      expect.stringMatching(/^the target process exited during the run \(code 5\); see .*target\.stderr\.log$/),
    ]);
  }, 30_000);

  it('fails with an EnvironmentError when the command never becomes ready, and stops it', async () => {
    const scenario = await load(
      dir,
      'never',
      `
name: never
target:
  command: node -e "setInterval(() => {}, 1000)" ${mark}-never
  ready: { http: /healthz, timeout: 1s }
providers: [{ name: quotes, fixture: joke }]
load: { rate: 5, duration: 1s, requests: [{ path: / }] }
slos: [{ name: a, expr: availability >= 99% }]
`,
    );
    const err = await executeRun(scenario, { reportsDir: reports, runId: 'never' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/was not ready within 1s \(GET http:\/\/127\.0\.0\.1:\d+\/healthz: ECONNREFUSED\)/);
    expect(processesWith(`${mark}-never`)).toEqual([]);
  }, 30_000);

  it('fails with an EnvironmentError, not an SLO breach, when a url target does not answer', async () => {
    const port = await freePort();
    const scenario = await load(
      dir,
      'unreachable',
      `
name: unreachable
target: { url: "http://127.0.0.1:${port}", ready: { timeout: 1s } }
providers: [{ name: quotes, fixture: joke }]
load: { rate: 5, duration: 1s, requests: [{ path: / }] }
slos: [{ name: a, expr: availability >= 99% }]
`,
    );
    const err = await executeRun(scenario, { reportsDir: reports, runId: 'unreachable' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toBe(`target http://127.0.0.1:${port} was not ready within 1s (TCP connect to 127.0.0.1:${port}: ECONNREFUSED)`);
    // Nothing ran: no empty report folder.
    await expect(readdir(join(reports, 'unreachable', 'unreachable'))).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it('fails with an EnvironmentError naming the module when a handler module throws or exports the wrong thing', async () => {
    for (const [file, why] of [
      ['broken.ts', /failed to load: Error: quotes mock is broken on purpose/],
      ['wrong-export.ts', /has no default or `handlers` export \(it exports notHandlers\)/],
    ] as const) {
      const scenario = await load(
        dir,
        'bad-handlers',
        `
name: bad-handlers
target: { url: "http://127.0.0.1:9" }
providers: [{ name: quotes, handlers: ${join(SERVICE, 'mocks', file)} }]
load: { rate: 5, duration: 1s, requests: [{ path: / }] }
slos: [{ name: a, expr: availability >= 99% }]
`,
      );
      const err = await executeRun(scenario, { reportsDir: reports, runId: `bad-${file}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EnvironmentError);
      expect((err as Error).message).toContain(join(SERVICE, 'mocks', file));
      expect((err as Error).message).toMatch(why);
    }
  }, 30_000);
});
