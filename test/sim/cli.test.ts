/**
 * `faultline sim` as a user meets it: the summary and the simulation line, the reports under
 * reports/<scenario>/<runId>/ (a second run with the same seed beside the first), and run's
 * exit codes: 0 pass, 1 an SLO breached, 2 invalid or unsupported.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-sim-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function sim(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'src/cli/main.ts'), 'sim', ...args, '--reports', dir], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('faultline sim', () => {
  it('a scenario that holds: exit 0, the summary, the simulation line, the three reports', async () => {
    const r = await sim(['scenarios/incidents/retry-storm.yaml', '--seed', '7', '--bin', '10ms']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PASS  retry-storm');
    expect(r.stdout).toMatch(/simulated 12s in \S+ of wall time: \d+ events, \d+ requests, \d+ upstream calls \(\d+ simulated requests\/s\)/);
    const runDir = join(dir, 'retry-storm', '20260101T000000.000Z-sim7');
    expect((await readdir(runDir)).sort()).toEqual(['junit.xml', 'report.html', 'result.json']);
    const result = JSON.parse(await readFile(join(runDir, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ mode: 'sim', formatVersion: 3, environment: { seed: 7 } });
    expect(result.series.upstreamFine.binMs).toBe(10);
    // The simulated router is scraped each second as live: the same per-second router series, and upstream latency at the providers.
    expect(result.series.router.actions.retries.length).toBe(result.series.t.length);
    expect(result.series.router.actions.retries.some((n: number) => n > 0)).toBe(true);
    expect(Object.keys(result.series.upstreamLatency).length).toBeGreaterThan(0);
    expect((await readdir(dir)).sort()).toContain('index.html');
    expect(result.series.upstreamFine.counts.backend).toHaveLength(1200);
    // The same seed again: a folder of its own beside the first, the same bytes in it.
    const again = await sim(['scenarios/incidents/retry-storm.yaml', '--seed', '7', '--bin', '10ms']);
    expect(again.code).toBe(0);
    expect(await readFile(join(dir, 'retry-storm', '20260101T000000.000Z-sim7-2', 'result.json'), 'utf8')).toBe(await readFile(join(runDir, 'result.json'), 'utf8'));
  }, 60_000);

  it('a broken twin whose SLO is breached, as expected: exit 0, as run and suite', async () => {
    const r = await sim(['scenarios/joke-api-flaky.broken.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('EXPECTED FAIL');
  }, 60_000);

  it('a scenario with parts the simulator has no model for: exit 2, every part named', async () => {
    const file = join(dir, 'unsupported.yaml');
    await writeFile(
      file,
      [
        'name: unsupported',
        `target: { router: ${join(root, 'fixtures/routers/joke.yaml')} }`,
        'providers: [{ name: joke, fixture: joke }]',
        'load: { model: open, rate: 10/s, duration: 3s, timeout: 1s, requests: [{ name: joke, path: /joke }] }',
        'faults:',
        '  - { name: thin, target: { provider: joke }, layer: network, kind: bandwidth, kbps: 1, from: 1s, to: 2s }',
        '  - { name: cut, target: { provider: joke }, layer: network, kind: limit_data, bytes: 10, from: 1s, to: 2s }',
        'slos: [{ name: availability, expr: availability >= 0% }]',
        '',
      ].join('\n'),
    );
    const r = await sim([file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fault `thin`: network `bandwidth` has no model');
    expect(r.stderr).toContain('fault `cut`: network `limit_data` has no model');
  }, 60_000);

  it('an invalid scenario or flag: exit 2', async () => {
    expect((await sim(['scenarios/no-such.yaml'])).code).toBe(2);
    expect((await sim(['scenarios/joke-api-flaky.yaml', '--bin', '0ms'])).code).toBe(2);
  }, 60_000);
});
