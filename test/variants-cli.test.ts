/**
 * `--variants` on the command line: `sim` on the bundled retry-storm (its broken twin as a
 * variant, which must get the twin's own verdicts and values), picking and unknown names, and
 * one live `run --variants` on a two-second scenario (test/fixtures/e2e/joke-variants.yaml).
 */
import { cli, root } from './support/cli.ts';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const STORM = join(root, 'scenarios/incidents/retry-storm.yaml');

let reports: string;
beforeEach(async () => {
  reports = await mkdtemp(join(tmpdir(), 'faultline-variants-'));
});
afterEach(async () => {
  await rm(reports, { recursive: true, force: true });
});

interface Rows {
  scenario: { name: string };
  rows: { name: string; overrides: Record<string, unknown>; verdict: string; expected: string; met: boolean; result: string; slos: { name: string; passed: boolean; value: number | null; differsFromBase: boolean }[] }[];
}
const rowsIn = async (dir: string): Promise<Rows> => {
  const json = (await readdir(dir)).filter((f) => /^variants-.*\.json$/.test(f));
  expect(json).toHaveLength(1);
  return JSON.parse(await readFile(join(dir, json[0]!), 'utf8')) as Rows;
};

describe('sim --variants', () => {
  it('retry-storm: every run meets its expectation (exit 0), one table, the page and the rows; the broken variant is the broken twin', async () => {
    const r = await cli(['sim', STORM, '--variants', '-o', reports]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('  SLO'))).toMatch(/^ {2}SLO +base +broken +no-jitter +no-budget$/);
    // The budget row: the base and no-jitter stop retries, broken and no-budget do not — marked as differing.
    expect(lines.find((l) => l.includes('the retry budget stops the retries'))).toMatch(/✓ 35 +✗ 0 ≠ +✓ 35 +✗ 0 ≠$/);
    expect(r.stdout).toMatch(/verdict \(met expectation\) +pass ✓ +fail \(expect fail\) ✓ +pass ✓ +fail \(expect fail\) ✓/);
    expect(r.stdout).toContain('4 of 4 runs met their expectation');

    const home = join(reports, 'retry-storm');
    const page = (await readdir(home)).filter((f) => /^variants-.*\.html$/.test(f));
    expect(page).toHaveLength(1);
    const html = await readFile(join(home, page[0]!), 'utf8');
    for (const v of ['base', 'broken', 'no-jitter', 'no-budget']) expect(html).toContain(`id="run-${v}"`);
    const rows = await rowsIn(home);
    expect(rows.rows.map((x) => [x.name, x.verdict, x.expected, x.met])).toEqual([
      ['base', 'pass', 'pass', true],
      ['broken', 'fail', 'fail', true],
      ['no-jitter', 'pass', 'pass', true],
      ['no-budget', 'fail', 'fail', true],
    ]);
    expect(rows.rows[3]!.overrides).toEqual({ 'retry.budget': 'off' });
    // Each row's result.json and report.html exist where the page links them.
    for (const row of rows.rows) {
      const result = JSON.parse(await readFile(join(home, row.result), 'utf8')) as { verdict: string; scenario: { name: string } };
      expect(result.verdict).toBe(row.verdict);
      expect(html).toContain(`href="${row.result.replace(/result\.json$/, 'report.html')}"`);
    }

    // The broken twin, simulated on its own: the same verdicts and the same values (same seed, same virtual time);
    // it fails as it expects to, so it exits 0 (the CI gate, as in a suite).
    const twin = await cli(['sim', join(root, 'scenarios/incidents/retry-storm.broken.yaml'), '-o', reports]);
    expect(twin.code).toBe(0);
    const [twinRun] = await readdir(join(reports, 'retry-storm-broken'));
    const twinResult = JSON.parse(await readFile(join(reports, 'retry-storm-broken', twinRun!, 'result.json'), 'utf8')) as { slos: { name: string; passed: boolean; value: number | null }[] };
    expect(rows.rows[1]!.slos.map((s) => [s.name, s.passed, s.value])).toEqual(twinResult.slos.map((s) => [s.name, s.passed, s.value]));
  }, 30_000);

  it('--variants a,b picks some; an unknown name, or a scenario without variants, exits 2 saying why', async () => {
    const some = await cli(['sim', STORM, '--variants', 'no-budget', '-o', reports]);
    expect(some.code).toBe(0);
    expect((await rowsIn(join(reports, 'retry-storm'))).rows.map((x) => x.name)).toEqual(['base', 'no-budget']);
    const bad = await cli(['sim', STORM, '--variants', 'no-budgte,nope', '-o', reports]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('retry-storm has no variant `no-budgte` (did you mean `no-budget`?); it has: broken, no-jitter, no-budget');
    expect(bad.stderr).toContain('no variant `nope`');
    const none = await cli(['sim', join(root, 'scenarios/incidents/retry-storm.broken.yaml'), '--variants', '-o', reports]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('retry-storm-broken: the scenario has no variants:');
    // The value is optional, so a file right after --variants would be read as names: said, exit 2.
    const misplaced = await cli(['sim', '--variants', STORM, '-o', reports]);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('put --variants after the scenario file, or write --variants=a,b');
  }, 30_000);

  it('a variant that does not meet its expectation makes the exit code 1, marked in its column', async () => {
    // retry-storm with one variant that removes the budget but still expects to pass.
    const text = (await readFile(STORM, 'utf8'))
      .replace('router: ../../fixtures/routers/retry-storm.yaml', `router: ${join(root, 'fixtures/routers/retry-storm.yaml')}`)
      .replace(/\nvariants:[\s\S]*$/, '\nvariants:\n  - { name: no-budget, set: { retry.budget: off } }\n');
    const file = join(reports, 'storm.yaml');
    await writeFile(file, text);
    const r = await cli(['sim', file, '--variants', '-o', reports]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/verdict \(met expectation\) +pass ✓ +fail ✗/);
    expect(r.stdout).toContain('1 of 2 runs met their expectation');
  }, 30_000);
});

describe('run --variants (live)', () => {
  it('runs the base and its variant one after the other, each in its own folder, and compares them (≤ 20 s)', async () => {
    const started = Date.now();
    const r = await cli(['run', join(root, 'test/fixtures/e2e/joke-variants.yaml'), '--variants', '--no-progress', '-o', reports]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/availability +✓ [\d.]+ % +✗ [\d.]+ % ≠/);
    // Beside the runs' folders: the index over them and its cache (src/report/index-page.ts).
    expect((await readdir(reports)).sort()).toEqual(['.faultline-index.json', 'index.html', 'joke-variants', 'joke-variants~no-retries']);
    const rows = await rowsIn(join(reports, 'joke-variants'));
    expect(rows.rows.map((x) => [x.name, x.verdict, x.met])).toEqual([
      ['base', 'pass', true],
      ['no-retries', 'fail', true],
    ]);
    // 30 % 503s without retries: availability near 70 %, far below the 95 % SLO (n = 80, sd ≈ 5 points).
    expect(rows.rows[1]!.slos[0]!.value).toBeLessThan(0.9);
  }, 30_000);
});
