/**
 * The outputs CI reads agree, on real runs (short, loopback): for a pass, a fail, a broken
 * twin that failed as expected, a run interrupted by Ctrl-C and one stopped by an abortOnFail
 * SLO, the exit code, the screen's header, junit.xml (its failures and errors), result.json
 * and the Markdown summary (also appended to $GITHUB_STEP_SUMMARY) all say the same thing.
 * And `--reporter json=-` keeps stdout one JSON document.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { gate, outcome } from '../src/report/format.ts';
import type { RunResult } from '../src/model/result.ts';

const root = new URL('..', import.meta.url).pathname;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { interruptAfterMs?: number; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'src/cli/main.ts'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...opts.env } });
    let stdout = '';
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (opts.interruptAfterMs === undefined || armed || !stderr.includes('load started')) return;
      armed = true;
      setTimeout(() => child.kill('SIGINT'), opts.interruptAfterMs);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-ci-outputs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A joke-API scenario: the router with retries (`good`) or without (about 70 % available), and what it expects. */
async function scenario(name: string, opts: { router: 'joke' | 'joke.broken'; expect: 'pass' | 'fail'; duration: string; abortOnFail?: string }): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    [
      `name: ${name}`,
      'seed: 5',
      `expect: ${opts.expect}`,
      `target: { router: ${join(root, 'fixtures/routers', `${opts.router}.yaml`)} }`,
      'providers: [{ name: joke, fixture: joke }]',
      `load: { rate: 60/s, duration: ${opts.duration}, requests: [{ path: /joke }] }`,
      'faults: [{ name: joke-5xx, target: { provider: joke }, layer: http, kind: error, rate: 30%, status: 503 }]',
      'slos:',
      `  - { name: availability, expr: availability >= 99%${opts.abortOnFail ? `, abortOnFail: ${opts.abortOnFail}` : ''} }`,
      '  - { name: latency, expr: p99(latency) < 2s }',
      '',
    ].join('\n'),
  );
  return file;
}

interface Outputs {
  ran: Ran;
  result: RunResult;
  junit: string;
  markdown: string;
  step: string;
}

/** Runs one scenario with every reporter, the step summary pre-filled (it must be appended to). */
async function runAll(name: string, file: string, opts: { interruptAfterMs?: number } = {}): Promise<Outputs> {
  const reports = join(dir, 'reports');
  const step = join(dir, `${name}.step.md`);
  await writeFile(step, '# an earlier step\n');
  const ran = await cli(['run', '--no-progress', '--reporter', 'summary,json,junit', '--reporter', 'markdown', '-o', reports, file], { ...opts, env: { GITHUB_STEP_SUMMARY: step } });
  const [runId] = await readdir(join(reports, name));
  const folder = join(reports, name, runId!);
  const read = (f: string) => readFile(join(folder, f), 'utf8');
  expect((await readdir(folder)).sort()).toEqual(['junit.xml', 'markdown.md', 'result.json']);
  return { ran, result: JSON.parse(await read('result.json')) as RunResult, junit: await read('junit.xml'), markdown: await read('markdown.md'), step: await readFile(step, 'utf8') };
}

const attr = (xml: string, name: string) => Number(new RegExp(`<testsuites [^>]*\\b${name}="(\\d+)"`).exec(xml)![1]);

/** Every output against the others; `label` is the header's verdict word(s), `code` the exit code. */
async function agree(o: Outputs, label: string, code: number): Promise<void> {
  const verdict = outcome(o.result);
  expect(o.ran.code, o.ran.stderr).toBe(code);
  expect(verdict.label).toBe(label);
  // The screen's first line: the mark and the label.
  const header = o.ran.stdout.split('\n')[0]!;
  expect(header.startsWith(`${verdict.asExpected ? '✓' : '✗'} ${label}  ${o.result.scenario.name}`)).toBe(true);
  // junit.xml: green exactly when the exit code is 0; errors exactly when aborted.
  const failures = attr(o.junit, 'failures');
  const errors = attr(o.junit, 'errors');
  expect(failures + errors === 0).toBe(code === 0);
  expect(errors > 0).toBe(gate(verdict) === 'aborted');
  expect(o.junit).toContain(`<property name="outcome" value="${verdict.kind}"/>`);
  // Markdown, on file and appended to the step summary after what was there.
  expect(o.markdown.split('\n')[0]).toContain(` ${label}: ${o.result.scenario.name}`);
  expect(o.step.startsWith('# an earlier step\n')).toBe(true);
  expect(o.step).toContain(o.markdown.split('\n')[0]!);
  // Times in seconds, sensibly: never "12000ms" or "1.2345678 s".
  for (const text of [header, o.markdown]) expect(text).not.toMatch(/\d{4,}ms|\d\.\d{4,} ?s\b/);
  expect(o.junit).toMatch(/<testsuites [^>]*time="\d+(\.\d{1,3})?"/);
  const schema = await readFile(join(root, 'test/fixtures/junit/junit.xsd'), 'utf8');
  const valid = await validateXML({ xml: [{ fileName: 'junit.xml', contents: o.junit }], schema: [{ fileName: 'junit.xsd', contents: schema }] });
  expect(valid.errors).toEqual([]);
  // No fault that ran to the end of a completed run is "cut short".
  if (o.result.status === 'completed') for (const f of o.result.faults) expect(f.endedEarly).toBeUndefined();
}

describe('the outputs CI reads agree', { timeout: 90_000 }, () => {
  it('a pass: exit 0, PASS, junit green, result pass', async () => {
    const o = await runAll('ci-pass', await scenario('ci-pass', { router: 'joke', expect: 'pass', duration: '3s' }));
    expect(o.result).toMatchObject({ status: 'completed', verdict: 'pass', expected: 'pass' });
    await agree(o, 'PASS', 0);
    expect(o.markdown).toContain('**2/2 SLOs held** · 3 s');
  });

  it('a fail: exit 1, FAIL, one junit failure', async () => {
    const o = await runAll('ci-fail', await scenario('ci-fail', { router: 'joke.broken', expect: 'pass', duration: '3s' }));
    expect(o.result).toMatchObject({ status: 'completed', verdict: 'fail', expected: 'pass' });
    await agree(o, 'FAIL', 1);
    expect(attr(o.junit, 'failures')).toBe(1);
  });

  it('a broken twin that failed as expected: exit 0, EXPECTED FAIL, junit green', async () => {
    const o = await runAll('ci-twin', await scenario('ci-twin', { router: 'joke.broken', expect: 'fail', duration: '3s' }));
    expect(o.result).toMatchObject({ status: 'completed', verdict: 'fail', expected: 'fail' });
    await agree(o, 'EXPECTED FAIL', 0);
    expect(o.junit).toContain('failed as expected (broken twin)');
  });

  it('a run interrupted by Ctrl-C: exit 130, ABORTED (its SLOs not "held"), a junit error', async () => {
    const o = await runAll('ci-aborted', await scenario('ci-aborted', { router: 'joke', expect: 'pass', duration: '20s' }), { interruptAfterMs: 1500 });
    expect(o.result).toMatchObject({ status: 'aborted' });
    expect(o.result.abortReason).toContain('SIGINT');
    await agree(o, 'ABORTED', 130);
    expect(o.ran.stdout).not.toMatch(/\d+\/\d+ SLOs held ·/);
    expect(o.junit).toMatch(/<skipped message="not judged: the run was aborted at/);
    // The fault was due to the end of the planned 20 s: the abort cut it short.
    expect(o.result.faults[0]).toMatchObject({ endedEarly: true });
  });

  it('a run stopped by an abortOnFail SLO: stops early, exit 1, FAIL with the breach as the junit failure', async () => {
    const o = await runAll('ci-abort-on-fail', await scenario('ci-abort-on-fail', { router: 'joke.broken', expect: 'pass', duration: '20s', abortOnFail: '{ grace: 1s }' }));
    expect(o.result).toMatchObject({ status: 'aborted', verdict: 'fail', abortedOnFail: { slo: 'availability' } });
    expect(o.result.abortedOnFail!.atMs).toBeGreaterThanOrEqual(1000);
    expect(o.result.abortedOnFail!.atMs).toBeLessThan(8000);
    expect(o.result.abortReason).toMatch(/^SLO "availability" breached at \d+\.\d s: availability \d+(\.\d+)? % < 99 %/);
    expect(o.result.durationMs).toBeLessThan(10_000);
    // The breached SLO is the verdict seen when it stopped the run.
    expect(o.result.slos.find((s) => s.name === 'availability')).toMatchObject({ passed: false });
    await agree(o, 'FAIL', 1);
    expect(o.ran.stdout).toContain('⚠ STOPPED EARLY: SLO "availability" breached at');
    expect(attr(o.junit, 'failures')).toBe(1);
    expect(o.junit).toMatch(/<skipped message="not judged: the run stopped at [\d.]+ s when SLO &quot;availability&quot; breached \(abortOnFail\)"/);
    expect(o.result.faults[0]).toMatchObject({ endedEarly: true });
  });

  it('a suite: one aggregate junit.xml (a testsuite per scenario), one suite.md appended to the step summary, the exit code of both', async () => {
    const folder = join(dir, 'suite');
    await mkdir(folder, { recursive: true });
    const pass = await scenario('suite-pass', { router: 'joke', expect: 'pass', duration: '2s' });
    const twin = await scenario('suite-twin', { router: 'joke.broken', expect: 'fail', duration: '2s' });
    await rename(pass, join(folder, 'a.yaml'));
    await rename(twin, join(folder, 'b.yaml'));
    const reports = join(dir, 'suite-reports');
    const step = join(dir, 'suite.step.md');
    await writeFile(step, '# before\n');
    const r = await cli(['suite', folder, '--no-progress', '--reporter', 'summary,json,junit,markdown', '-o', reports], { env: { GITHUB_STEP_SUMMARY: step } });
    expect(r.code, r.stderr).toBe(0);
    const junit = await readFile(join(reports, 'junit.xml'), 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(2);
    expect(junit).toMatch(/<testsuite name="suite-pass" tests="2" failures="0" errors="0"/);
    expect(junit).toMatch(/<testsuite name="suite-twin" tests="2" failures="0" errors="0"/);
    expect(attr(junit, 'failures') + attr(junit, 'errors')).toBe(0);
    const schema = await readFile(join(root, 'test/fixtures/junit/junit.xsd'), 'utf8');
    expect((await validateXML({ xml: [{ fileName: 'junit.xml', contents: junit }], schema: [{ fileName: 'junit.xsd', contents: schema }] })).errors).toEqual([]);
    const md = await readFile(join(reports, 'suite.md'), 'utf8');
    expect(md.split('\n')[0]).toMatch(/^## ✅ faultline suite: 2 of 2 scenarios met their expectation in \d+(\.\d+)? s$/);
    expect(md).toContain('| ✅ | suite-twin | fail | EXPECTED FAIL |');
    expect(await readFile(step, 'utf8')).toBe(`# before\n${md}\n`);
    // Each run's own files are in its folder too.
    const [runId] = await readdir(join(reports, 'suite-twin'));
    expect((await readdir(join(reports, 'suite-twin', runId!))).sort()).toEqual(['junit.xml', 'markdown.md', 'result.json']);
  });

  it('--reporter json=- keeps stdout one JSON document; the screen summary goes to stderr', async () => {
    const file = await scenario('ci-stdout', { router: 'joke', expect: 'pass', duration: '2s' });
    const r = await cli(['run', '--no-progress', '--reporter', 'summary,json=-', '-o', join(dir, 'reports'), file]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.scenario.name).toBe('ci-stdout');
    expect(r.stderr).toContain('✓ PASS  ci-stdout');
    // No file was chosen: no empty run folder is left behind.
    expect(await readdir(join(dir, 'reports', 'ci-stdout'))).toEqual([]);
  });

  it('refuses an unknown reporter, and a path several runs would overwrite, with exit 2', async () => {
    const file = await scenario('ci-refuse', { router: 'joke', expect: 'pass', duration: '2s' });
    const unknown = await cli(['run', '--reporter', 'json,pdf', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown reporter "pdf": use one of summary, json, html, junit, markdown');
    const twice = await cli(['run', '--reporter', 'json=out.json', file, file]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('each would overwrite that file');
  });
});
