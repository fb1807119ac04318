/**
 * The command line as a user meets it: exit codes, messages, what is written, and that an
 * interrupted run still writes what it measured and leaves no process behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf } from './support/processes.ts';

const root = new URL('..', import.meta.url).pathname;
const fixture = (name: string) => join(root, 'test/fixtures/e2e', name);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  leftovers: number[];
}

/** Runs the CLI; `interruptAfterMs` sends SIGINT once the load has been running that long. */
function cli(args: string[], opts: { interruptAfterMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'src/cli/main.ts'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let leftovers: number[] = [];
    child.stdout.on('data', (d) => (stdout += d));
    let armed = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (opts.interruptAfterMs === undefined || armed || !stderr.includes('load started')) return;
      armed = true;
      setTimeout(() => {
        leftovers = descendantsOf(child.pid!); // the workers, alive mid-run
        child.kill('SIGINT');
      }, opts.interruptAfterMs);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr, leftovers }));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let reports: string;
beforeEach(async () => {
  reports = await mkdtemp(join(tmpdir(), 'faultline-cli-'));
});
afterEach(async () => {
  await rm(reports, { recursive: true, force: true });
});

describe('faultline CLI', () => {
  it('--help lists the commands and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['run', 'suite', 'validate', 'router', 'toxiproxy']) expect(r.stdout).toContain(c);
  });

  it('validate reports every error of every file with file:line:column and exits 2', async () => {
    const bad = join(reports, 'bad.yaml');
    await writeFile(bad, 'name: Bad_Name\nseed: x\nload:\n  rate: fast\n  duration: 10s\n  requests: [{path: /joke}]\nproviders: [{name: joke, fixture: joke}]\ntarget: {router: nope.yaml}\nslos: [{name: a, expr: availabilty >= 99%}]\n');
    const r = await cli(['validate', bad, fixture('joke-tiny.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('ok  test/fixtures/e2e/joke-tiny.yaml');
    expect(r.stderr).toMatch(/bad\.yaml:1:7 +name /);
    expect(r.stderr).toMatch(/bad\.yaml:2:7 +seed /);
    expect(r.stderr).toMatch(/bad\.yaml:4:9 +load\.rate /);
    expect(r.stderr).toMatch(/bad\.yaml:8:18 +target\.router .*not found/);
    expect(r.stderr).toMatch(/bad\.yaml:9:\d+ +slos\[0\]\.expr .*did you mean `availability`/);
    expect(r.stderr).toContain('5 problems in 1 file(s)');
  });

  it('run refuses an invalid scenario with exit 2 and starts nothing', async () => {
    const bad = join(reports, 'bad.yaml');
    await writeFile(bad, 'name: x\n');
    const r = await cli(['run', '--reports', join(reports, 'out'), bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.yaml:1:1');
    expect(existsSync(join(reports, 'out'))).toBe(false);
  });

  it('a broken twin run alone exits 1 and says which SLO failed and by how much', async () => {
    const r = await cli(['run', '--reports', reports, fixture('joke-tiny.broken.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ availability +\d+(\.\d+)? % ≥ 99 % \(short by \d+(\.\d+)? points\)/);
    const [runId] = await readdir(join(reports, 'joke-tiny-broken'));
    const result = JSON.parse(await readFile(join(reports, 'joke-tiny-broken', runId!, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ verdict: 'fail', expected: 'fail', status: 'completed' });
    const junit = await readFile(join(reports, 'joke-tiny-broken', runId!, 'junit.xml'), 'utf8');
    expect(junit).toContain('testcase');
  }, 60_000);

  it('Ctrl-C mid-run writes the partial result marked aborted, exits 130 and leaves no process', async () => {
    const r = await cli(['run', '--reports', reports, fixture('joke-tiny.yaml')], { interruptAfterMs: 2000 });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('SIGINT');
    expect(r.leftovers.length).toBeGreaterThanOrEqual(2); // fixtures and router were running
    expect(r.leftovers.filter(alive)).toEqual([]);
    const [runId] = await readdir(join(reports, 'joke-tiny'));
    const result = JSON.parse(await readFile(join(reports, 'joke-tiny', runId!, 'result.json'), 'utf8'));
    expect(result.status).toBe('aborted');
    expect(result.abortReason).toContain('SIGINT');
    expect(result.verdict).toBe('fail');
    // What was measured before the interrupt is kept: ~60/s for a few seconds, not the planned 8 s.
    expect(result.load.requests).toBeGreaterThan(30);
    expect(result.load.requests).toBeLessThan(60 * 8);
    expect(result.durationMs).toBeLessThan(8000);
  }, 60_000);
});
