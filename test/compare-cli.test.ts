/**
 * `faultline compare` and `run --baseline` as a user meets them: exit codes (0 not worse,
 * 1 worse, 2 bad input), the messages for bad input, what is written (compare.json,
 * compare.html with no script), `reports/<scenario>` meaning its latest run, and one live
 * loopback pair: two short measured runs of the same scenario, the second with --baseline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, root } from './support/cli.ts';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRng } from '../src/core/rng.ts';
import { lognormal, syntheticRun } from '../src/compare/testing.ts';
import type { RunResult } from '../src/model/result.ts';
import type { Comparison } from '../src/model/comparison.ts';


let dir: string;
/** Writes `result` as reports/<scenario>/<runId>/result.json under the temp folder; the run folder. */
async function writeRun(result: RunResult): Promise<string> {
  const runDir = join(dir, 'reports', result.scenario.name, result.runId);
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'result.json'), JSON.stringify(result, null, 2));
  return runDir;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-compare-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('faultline compare', () => {
  const same = (seed: number, runId: string) => syntheticRun(seededRng(seed), 20, 50, (r) => lognormal(r, 20, 0.4), 0.001, { runId, scenario: { name: 'checkout', file: 'checkout.yaml' } });

  it('exits 0 for two runs of the same system, prints the table and writes compare.json and compare.html beside the candidate', async () => {
    const a = await writeRun(same(1, '20260101T000000Z-a'));
    const b = await writeRun(same(2, '20260101T000001Z-b'));
    const r = await cli(['compare', a, b]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/not worse at 99 % confidence/);
    for (const label of ['p99 latency', 'latency distribution', 'error rate']) expect(r.stdout).toContain(label);
    const c = JSON.parse(await readFile(join(b, 'compare.json'), 'utf8')) as Comparison;
    expect(c.worse).toBe(false);
    const html = await readFile(join(b, 'compare.html'), 'utf8');
    expect(html).toContain('Not worse at 99 % confidence');
    expect(html).not.toMatch(/<script/i);
    expect(html).toMatch(/<polyline class="candidate" points="[\d., ]+"/);
  }, 60_000);

  it('exits 1 when the candidate is worse, and reports/<scenario> means its latest run', async () => {
    const base = await writeRun(same(3, '20260102T000000Z-base'));
    const slow = syntheticRun(seededRng(4), 20, 50, (r) => lognormal(r, 20, 0.4) + (r.next() < 0.04 ? 400 : 0), 0.001, { runId: '20260102T000001Z-slow', scenario: { name: 'checkout', file: 'checkout.yaml' } });
    const slowDir = await writeRun(slow);
    const r = await cli(['compare', join(base, 'result.json'), join(dir, 'reports/checkout'), '--json', '--confidence', '95%']);
    expect(r.code).toBe(1);
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.candidate.runId).toBe('20260102T000001Z-slow');
    expect(c.confidence).toBe(0.95);
    expect(c.metrics.find((m) => m.metric === 'latency_p99')!.verdict).toBe('worse');
    expect(existsSync(join(slowDir, 'compare.html'))).toBe(true);
    const html = await readFile(join(slowDir, 'compare.html'), 'utf8');
    expect(html).toMatch(/WORSE at 95 % confidence/);
  }, 60_000);

  it('exits 2 with a clear message for a missing file, a result without samples, or another scenario (unless --force)', async () => {
    const missing = await cli(['compare', join(dir, 'nope.json'), join(dir, 'nope2.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: no such file or folder/);

    const { samples: _, ...old } = same(5, '20260103T000000Z-old');
    const oldDir = await writeRun(old as RunResult);
    const fresh = await writeRun(same(6, '20260103T000001Z-new'));
    const noSamples = await cli(['compare', oldDir, fresh]);
    expect(noSamples.code).toBe(2);
    expect(noSamples.stderr).toMatch(/no per-request samples.*Re-run the scenario with this version of faultline/s);

    const other = await writeRun({ ...same(7, '20260103T000002Z-other'), scenario: { name: 'payments', file: 'payments.yaml' } });
    const mismatch = await cli(['compare', fresh, other]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/different scenarios: baseline "checkout".*candidate "payments".*--force/s);
    const forced = await cli(['compare', fresh, other, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/warning: different scenarios/);

    const notJson = join(dir, 'bad.json');
    await writeFile(notJson, '{ not json');
    expect((await cli(['compare', notJson, fresh])).code).toBe(2);
    expect((await cli(['compare', fresh, fresh, '--confidence', '1.5'])).code).toBe(2);
  }, 60_000);
});

/** The run folders under reports/<scenario>/ (beside them, latest.html: the index page's link to the newest). */
async function runFolders(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
}

describe('run --baseline, live on loopback', () => {
  it('compares a measured run with the one before it, writes compare.json and compare.html into the run folder', async () => {
    const reports = join(dir, 'live');
    const scenario = join(root, 'test/fixtures/compare/joke-baseline.yaml');
    const first = await cli(['run', scenario, '--duration', '5s', '--rate', '100/s', '-o', reports, '--no-progress']);
    expect(first.code).toBe(0);
    const second = await cli(['run', scenario, '--duration', '5s', '--rate', '100/s', '-o', reports, '--no-progress', '--baseline', join(reports, 'joke-compare')]);
    // Measured data on a shared machine: the verdict is the machine's; the exit code follows it.
    const runs = (await runFolders(join(reports, 'joke-compare'))).sort();
    expect(runs).toHaveLength(2);
    const c = JSON.parse(await readFile(join(reports, 'joke-compare', runs[1], 'compare.json'), 'utf8')) as Comparison;
    console.log(`live pair: ${c.metrics.map((m) => `${m.metric} ${m.verdict} (${m.effect}, p ${m.p.toPrecision(2)})`).join('; ')}`);
    expect(c.baseline.runId).toBe(runs[0]);
    expect(c.candidate.runId).toBe(runs[1]);
    expect(c.baseline.mode).toBe('live');
    expect(c.baseline.requests).toBeGreaterThan(400);
    expect(second.code).toBe(c.worse ? 1 : 0);
    expect(second.stdout).toMatch(/compare joke-compare: (not worse|WORSE)/);
    expect(existsSync(join(reports, 'joke-compare', runs[1], 'compare.html'))).toBe(true);

    const bad = await cli(['run', scenario, '--duration', '2s', '-o', reports, '--no-progress', '--baseline', join(dir, 'missing')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--baseline: .*missing: no such file or folder/);
    const withVariants = await cli(['run', scenario, '--duration', '2s', '-o', reports, '--no-progress', '--baseline', join(reports, 'joke-compare'), '--variants']);
    expect(withVariants.code).toBe(2);
    expect(withVariants.stderr).toMatch(/--baseline compares one run with one baseline/);
    // Both refused before anything ran: no third run folder.
    expect(await runFolders(join(reports, 'joke-compare'))).toHaveLength(2);
  }, 120_000);
});
