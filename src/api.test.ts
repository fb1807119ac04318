import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario, runScenario, ScenarioError, validateScenario } from './index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A scenario written in code, as a test would: the joke API behind the reference router. */
const joke = (overrides: Record<string, unknown> = {}) => ({
  name: 'joke-in-code',
  seed: 4,
  target: { router: 'fixtures/routers/joke.yaml' },
  providers: [{ name: 'joke', fixture: 'joke' }],
  load: { rate: '30/s', duration: '2s', requests: [{ path: '/joke' }] },
  faults: [{ name: 'joke-5xx', target: { provider: 'joke' }, layer: 'http', kind: 'error', rate: '30%', status: 503 }],
  slos: [{ name: 'availability', expr: 'availability >= 99%' }],
  ...overrides,
});

describe('validateScenario / loadScenario', () => {
  it('takes a scenario written as an object, its relative paths against cwd', async () => {
    const v = await validateScenario(joke() as never, { cwd: root });
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.scenario.target).toEqual({ kind: 'router', config: join(root, 'fixtures/routers/joke.yaml') });
  });

  it('returns every issue of a bad object at once, each with its field; loadScenario throws them as a ScenarioError', async () => {
    const bad = joke({ load: { rate: 'fast', duration: '2s', requests: [{ path: '/joke' }] }, slos: [{ name: 'x', expr: 'availabilty >= 99%' }] });
    const v = await validateScenario(bad as never, { cwd: root });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.issues.map((i) => i.path).sort()).toEqual(['load.rate', 'slos[0].expr']);
    const err = await loadScenario(bad as never, { cwd: root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).issues).toHaveLength(2);
    expect((err as ScenarioError).message).toMatch(/load\.rate .*expected a rate/);
  });

  it('reads a file with ${VAR} from vars before env, and applies overrides', async () => {
    const file = join(root, 'examples/checkout/chaos/checkout-stub-upstream.yaml');
    const s = await loadScenario(file, { vars: { PAYMENTS_STUB_URL: 'http://127.0.0.1:4242' }, env: { PAYMENTS_STUB_URL: 'http://127.0.0.1:1' }, overrides: { duration: '10s', seed: 9 } });
    expect(s.providers.find((p) => p.name === 'payments')).toMatchObject({ kind: 'url', url: 'http://127.0.0.1:4242' });
    expect(s.load.durationMs).toBe(10_000);
    expect(s.seed).toBe(9);
    // A loaded scenario is taken as it is, overrides checked against it.
    const again = await validateScenario(s, { overrides: { duration: '3s' } });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.issues[0]!.message).toMatch(/after the run ends at 3s \(the duration is overridden to 3s\)/);
  });
});

describe('runScenario', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('returns the result that result.json holds, written under reportsDir', async () => {
    const reports = await mkdtemp(join(tmpdir(), 'faultline-api-'));
    dirs.push(reports);
    // No fault: this is about what the API returns and writes, not about the router's retries.
    const result = await runScenario(joke({ faults: [] }) as never, { cwd: root, reportsDir: reports });
    expect(result).toMatchObject({ status: 'completed', verdict: 'pass', scenario: { name: 'joke-in-code' } });
    expect(result.load.requests).toBeGreaterThan(40);
    const [runId] = await readdir(join(reports, 'joke-in-code'));
    expect(runId).toBe(result.runId);
    expect(JSON.parse(await readFile(join(reports, 'joke-in-code', runId!, 'result.json'), 'utf8'))).toEqual(result);
  }, 30_000);

  it('throws a ScenarioError, starting nothing, for an invalid scenario', async () => {
    await expect(runScenario(joke({ providers: [{ name: 'joke', fixture: 'jokes' }] }) as never, { cwd: root, reportsDir: join(tmpdir(), 'never-written') })).rejects.toThrow(
      /unknown fixture/,
    );
  });
});
