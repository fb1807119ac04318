/**
 * `faultline sweep` on the command line: a small simulated sweep of scenarios/tuning/jitter.yaml
 * (2 × 2 points, 2 seeds, 7 s each) whose screen, sweep.csv, sweep.json and sweep.html agree —
 * also on which points raced to a stop after 1 of 2 seeds — and the same sweep with
 * `--all-seeds` giving the same feasible points, front and recommendation; a
 * sweep with no feasible point (exit 1, the nearest miss); bad input (exit 2, every problem at
 * once, each at its --param and character); an interrupted sweep (exit 130, what finished
 * written, marked aborted); --live on one point; and --confirm, one bounded live run of the
 * recommended point.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../src/model/sweep.ts';

const root = new URL('..', import.meta.url).pathname;
const JITTER = join(root, 'scenarios/tuning/jitter.yaml');

function cli(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'src/cli/main.ts'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One RFC 4180 line (no line breaks inside fields here): quoted fields may hold commas. */
function csvRow(line: string): string[] {
  return [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) => (m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!));
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-sweep-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SMALL = ['--param', 'retry.backoff.jitter=none,full', '--param', 'retry.backoff.base=50ms,150ms', '--seeds', '2', '--duration', '7s'];

describe('faultline sweep (simulated)', () => {
  it('a 2 × 2 grid over 2 seeds: the screen, sweep.csv, sweep.json and sweep.html agree; exit 0 with a feasible recommendation', async () => {
    const out = join(dir, 'out');
    const r = await cli(['sweep', JITTER, ...SMALL, '--workers', '2', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(await readFile(join(out, 'sweep.json'), 'utf8')) as SweepReport;
    expect(json).toMatchObject({ formatVersion: 2, kind: 'faultline-sweep', mode: 'sim', status: 'completed', seeds: [41, 42], seedRounds: 'race', planned: 4 });
    expect(json.points.map((p) => p.settings)).toEqual([
      { 'retry.backoff.jitter': 'none', 'retry.backoff.base': '50ms' },
      { 'retry.backoff.jitter': 'none', 'retry.backoff.base': '150ms' },
      { 'retry.backoff.jitter': 'full', 'retry.backoff.base': '50ms' },
      { 'retry.backoff.jitter': 'full', 'retry.backoff.base': '150ms' },
    ]);
    // Without jitter the herd SLOs fail on every seed: those points are not feasible, and
    // racing stopped each at its first seed (1 of 2 seeds), saying which SLO it breached.
    for (const p of json.points.slice(0, 2)) {
      expect(p.feasible).toBe(false);
      expect(p.seedsRun).toBe(1);
      expect(p.runs.map((x) => x.seed)).toEqual([41]);
      expect(p.stoppedEarly).toMatch(/^seed 41 breached \S/);
    }
    for (const p of json.points) {
      expect(p.seedsRun).toBe(p.runs.length);
      if (p.feasible) expect(p.runs.map((x) => x.seed)).toEqual([41, 42]);
      if (p.seedsRun === 2) expect(p.stoppedEarly).toBeUndefined();
    }
    const runsDone = json.points.reduce((n, p) => n + p.seedsRun, 0);
    expect(json.timing).toMatchObject({ runs: runsDone, plannedRuns: 8 });
    expect(runsDone).toBeLessThan(8);
    const rec = json.recommended!;
    expect(json.front).toContain(rec.point);
    expect(json.points[rec.point]!.feasible).toBe(true);
    expect(json.points[rec.point]!.settings['retry.backoff.jitter']).toBe('full');

    // The screen names the same point, the same reason and the files.
    expect(r.stdout).toContain(`recommended: #${rec.point}  retry.backoff.jitter=full retry.backoff.base=${json.points[rec.point]!.settings['retry.backoff.base']}`);
    expect(r.stdout).toContain(`why: ${rec.reason}`);
    expect(r.stdout).toMatch(/sweep jitter: 4 points \(grid\) × 2 seeds \(41, 42\), simulated/);
    expect(r.stdout).toContain('seeds in rounds: a point stops at its first seed that breaches an SLO');
    const early = json.points.filter((p) => p.seedsRun < 2);
    expect(r.stdout).toContain(`${early.length} infeasible after fewer seeds (n of 2 seeds`);
    expect(r.stdout).toContain(`${runsDone} of 8 planned runs (${8 - runsDone} skipped: their points had already breached)`);
    for (const f of ['sweep.csv', 'sweep.json', 'sweep.html']) expect(r.stdout).toContain(join(out, f).replace(`${root}`, ''));

    // The CSV: a row per point × seed run; its values are the JSON's runs.
    const csv = (await readFile(join(out, 'sweep.csv'), 'utf8')).trim().split('\n').map(csvRow);
    const head = csv[0]!;
    expect(csv).toHaveLength(1 + runsDone);
    const col = (name: string) => head.indexOf(name);
    for (const p of json.points) expect(csv.slice(1).filter((row) => Number(row[0]) === p.id)).toHaveLength(p.seedsRun);
    for (const row of csv.slice(1)) {
      const p = json.points[Number(row[0])]!;
      const run = p.runs.find((x) => x.seed === Number(row[1]))!;
      expect(run).toBeDefined();
      expect(row[col('seeds_run')]).toBe(String(p.seedsRun));
      expect(row[col('stopped_early')]).toBe(p.stoppedEarly ?? '');
      expect(row[col('recommended')]).toBe(String(p.id === rec.point));
      expect(row[col('feasible')]).toBe(String(p.feasible));
      expect(Number(row[col('p99_ms')])).toBeCloseTo(run.metrics.p99!, 2);
      expect(Number(row[col('objective:p99(latency)')])).toBeCloseTo(run.objectives[0]!, 2);
    }

    // The page highlights the recommended row, and only it.
    const html = await readFile(join(out, 'sweep.html'), 'utf8');
    const rows = html.match(/<tr class="recommended">\s*<td>(\d+)/g)!;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`<td>${rec.point}$`));
    expect(html).toContain(`Recommended: #${rec.point}`);
    expect(html).toContain(`${runsDone} of 8 planned runs`);
    // Each early-stopped point's row says "1 of 2 seeds"; no other row does.
    const notes = [...html.matchAll(/<tr class="[^"]*">\s*<td>(\d+)[\s\S]*?<\/tr>/g)].filter((m) => m[0].includes('1 of 2 seeds')).map((m) => Number(m[1]));
    expect(notes).toEqual(early.map((p) => p.id));

    // --all-seeds: every seed of every point, and the same verdict — feasible set, front, recommendation.
    const allOut = join(dir, 'all');
    const a = await cli(['sweep', JITTER, ...SMALL, '--all-seeds', '--workers', '2', '--out', allOut]);
    expect(a.code).toBe(0);
    const all = JSON.parse(await readFile(join(allOut, 'sweep.json'), 'utf8')) as SweepReport;
    expect(all.seedRounds).toBe('all');
    for (const p of all.points) {
      expect(p.runs.map((x) => x.seed)).toEqual([41, 42]);
      expect(p.stoppedEarly).toBeUndefined();
    }
    expect(all.timing).toMatchObject({ runs: 8, plannedRuns: 8 });
    expect(all.points.map((p) => p.feasible)).toEqual(json.points.map((p) => p.feasible));
    expect(all.front).toEqual(json.front);
    expect(all.recommended).toEqual(json.recommended);
    expect(a.stdout).toContain('every seed of every point (--all-seeds)');
    expect(a.stdout).not.toContain('infeasible after fewer seeds');
    expect(a.stdout).not.toContain('planned runs');
    expect(a.stdout).toMatch(/\n {2}8 runs in /);
  }, 240_000);

  it('no feasible point: exit 1, says so and shows the nearest miss', async () => {
    const out = join(dir, 'none');
    const r = await cli(['sweep', JITTER, '--param', 'retry.backoff.jitter=none', '--param', 'retry.backoff.base=50ms,100ms', '--seeds', '1', '--duration', '7s', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no point is feasible: none met every SLO on every seed');
    expect(r.stdout).toMatch(/nearest miss: #\d {2}retry\.backoff\.jitter=none/);
    const json = JSON.parse(await readFile(join(out, 'sweep.json'), 'utf8')) as SweepReport;
    expect(json.recommended).toBeNull();
    expect(json.nearestMiss).not.toBeNull();
    // One seed each: nothing stopped early, so no "n of" note.
    expect(json.points.every((p) => p.seedsRun === 1 && p.stoppedEarly === undefined)).toBe(true);
  }, 120_000);

  it('bad input: every problem at once, each at its --param (and character), exit 2, nothing run', async () => {
    const r = await cli(['sweep', JITTER, '--param', 'retry.jitter=none,full', '--param', 'retry.backoff.base=10ms..x', '--param', 'load.rate=abc', '--objective', 'p99(latncy)', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    const expected = [
      /^error: --param 2 \(retry\.backoff\.base=10ms\.\.x\), character 26: the high end "x" is not a quantity like 10ms, 5%, 20\/s or 3$/,
      /^error: --param 1 \(retry\.jitter=none,full\), values none, full: .*unknown field `jitter` \(did you mean `retry\.backoff\.jitter`\?\)/,
      /^error: --param 3 \(load\.rate=abc\), value abc: .*invalid value \(expected a rate like 50\/s or 600\/m\)/,
      /^error: --objective 1 \(p99\(latncy\)\): /,
    ];
    for (const e of expected) expect(lines.some((l) => e.test(l)), `${e} in\n${r.stderr}`).toBe(true);
    expect(lines).toHaveLength(4);
  }, 60_000);

  it('interrupted: exit 130, the points that finished written, marked aborted', async () => {
    const out = join(dir, 'stopped');
    let sent = false;
    const r = await cli(['sweep', JITTER, '--param', 'retry.backoff.base=10ms..200ms:40', '--seeds', '1', '--workers', '1', '--out', out], (text, child) => {
      if (!sent && text.includes('sweeping')) {
        sent = true;
        // Long enough for a few points to finish, far from the 40 planned.
        setTimeout(() => child.kill('SIGINT'), 4000);
      }
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('SIGINT: stopping the sweep and writing what finished');
    const json = JSON.parse(await readFile(join(out, 'sweep.json'), 'utf8')) as SweepReport;
    expect(json.status).toBe('aborted');
    expect(json.planned).toBe(40);
    expect(json.points.length).toBeLessThan(40);
    expect(r.stdout).toContain('ABORTED, partial');
  }, 120_000);
});

describe('faultline sweep --live', () => {
  it('runs every point live, one after another, warning how long it will take (one point, one seed, 7 s)', async () => {
    const out = join(dir, 'live');
    const r = await cli(['sweep', JITTER, '--param', 'retry.backoff.jitter=full', '--param', 'retry.backoff.base=150ms', '--seeds', '1', '--duration', '7s', '--live', '--out', out, '-o', join(dir, 'reports')]);
    expect(r.stderr).toMatch(/warning: --live runs 1 runs one after another, about 9s; Ctrl-C stops and writes what finished/);
    const json = JSON.parse(await readFile(join(out, 'sweep.json'), 'utf8')) as SweepReport;
    expect(json).toMatchObject({ mode: 'live', status: 'completed', seeds: [41] });
    expect(json.points).toHaveLength(1);
    expect(json.points[0]!.runs).toHaveLength(1);
    expect(json.points[0]!.runs[0]!.slos).toHaveLength(4);
    expect(r.code).toBe(json.recommended ? 0 : 1);
  }, 120_000);
});

describe('faultline sweep --confirm', () => {
  it('re-runs the recommended point live over the scenario\'s seed and reports agreement per SLO and objective (one live run of 7 s)', async () => {
    const out = join(dir, 'confirm');
    const r = await cli(['sweep', JITTER, '--param', 'retry.backoff.jitter=full', '--param', 'retry.backoff.base=150ms', '--seeds', '2', '--duration', '7s', '--confirm', '--out', out, '-o', join(dir, 'reports')]);
    const json = JSON.parse(await readFile(join(out, 'sweep.json'), 'utf8')) as SweepReport;
    const c = json.confirmation!;
    expect(c).toMatchObject({ point: 0, seed: 41, status: 'completed' });
    expect(c.slos.map((s) => s.name)).toEqual(json.slos.map((s) => s.name));
    expect(c.objectives.map((o) => o.name)).toEqual(['p99(latency)', 'upstream_requests / requests']);
    for (const o of c.objectives) {
      expect(o.live).not.toBeNull();
      // The tolerance is the seeds' own range, at least 10 % of the median.
      expect(o.tolerance).toBeGreaterThanOrEqual(0.1 * o.sim!.median - 1e-9);
      expect(o.agreed).toBe(o.live! >= o.sim!.min - o.tolerance! && o.live! <= o.sim!.max + o.tolerance!);
    }
    expect(c.agreed).toBe(c.slos.every((s) => s.agreed) && c.objectives.every((o) => o.agreed));
    expect(r.code).toBe(json.recommended && c.agreed ? 0 : 1);
    expect(r.stdout).toContain(`live confirmation of #0 (seed 41): live ${c.agreed ? 'AGREED' : 'DISAGREED'} with the simulation`);
    const html = await readFile(join(out, 'sweep.html'), 'utf8');
    expect(html).toContain('id="confirmation"');
    // The live run's own reports exist where the confirmation says.
    await readFile(join(root, c.runDir, 'result.json'), 'utf8').catch(async () => readFile(join(c.runDir, 'result.json'), 'utf8'));
  }, 180_000);
});
