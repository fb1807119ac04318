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
function cli(args: string[], opts: { interruptAfterMs?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'src/cli/main.ts'), ...args], { cwd: opts.cwd ?? root, env: { ...process.env, NO_COLOR: '1', ...opts.env } });
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

  it('a broken twin run alone that fails as expected exits 0 (as in a suite, as its junit.xml passes) and says which SLO failed and by how much', async () => {
    const r = await cli(['run', '--reports', reports, fixture('joke-tiny.broken.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ EXPECTED FAIL');
    expect(r.stdout).toMatch(/✗ availability +\d+(\.\d+)? % ≥ 99 % \(short by \d+(\.\d+)? points\)/);
    const [runId] = await readdir(join(reports, 'joke-tiny-broken'));
    const result = JSON.parse(await readFile(join(reports, 'joke-tiny-broken', runId!, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ verdict: 'fail', expected: 'fail', status: 'completed' });
    const junit = await readFile(join(reports, 'joke-tiny-broken', runId!, 'junit.xml'), 'utf8');
    expect(junit).toContain('testcase');
    expect(junit).toMatch(/<testsuites name="faultline" tests="\d+" failures="0" errors="0"/);
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

describe('faultline CLI conventions', () => {
  it('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  const withVars = (dir: string) =>
    writeFile(
      join(dir, 'vars.yaml'),
      `name: vars
seed: \${SEED:-5}
target: { router: ${join(root, 'fixtures/routers/joke.yaml')} }
providers: [{ name: joke, fixture: joke }]
load:
  rate: \${RATE}
  duration: 4s
  requests: [{ path: "\${PATH_PREFIX:-}/joke" }]
faults:
  - { name: errors, target: { provider: joke }, layer: http, kind: error, rate: 30%, from: 1s, to: 3s }
slos: [{ name: availability, expr: availability >= 99% }]
`,
    );

  it('interpolates ${VAR} from -e, then the environment; an undefined one is a positioned error, exit 2', async () => {
    await withVars(reports);
    const file = join(reports, 'vars.yaml');
    const missing = await cli(['validate', file]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/vars\.yaml:6:9 +load\.rate +undefined variable `RATE` \(set it with -e RATE=\.\.\. or in the environment/);
    expect(missing.stderr).toContain('1 problem in 1 file(s)');
    expect((await cli(['validate', '-e', 'RATE=20/s', file])).code).toBe(0);
    expect((await cli(['validate', file], { env: { RATE: '20/s' } })).code).toBe(0);
    // -e comes before the environment: its value is the one checked.
    const bad = await cli(['validate', '-e', 'RATE=fast', file], { env: { RATE: '20/s' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/vars\.yaml:6:9 +load\.rate +invalid value .*found "fast"/);
    const malformed = await cli(['validate', '-e', 'RATE', file]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('expected KEY=VALUE');
  });

  it('--duration shorter than a fault window is an error naming the fault, exit 2; malformed overrides too', async () => {
    await withVars(reports);
    const file = join(reports, 'vars.yaml');
    const short = await cli(['validate', '-e', 'RATE=20/s', '--duration', '2s', file]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/vars\.yaml:10:\d+ +faults\[0\]\.to +the fault ends at 3s, after the run ends at 2s \(the duration is overridden to 2s\)/);
    const run = await cli(['run', '--reports', reports, '-e', 'RATE=20/s', '--duration', '2s', file]);
    expect(run.code).toBe(2);
    expect(existsSync(join(reports, 'vars'))).toBe(false);
    for (const [flag, value] of [['--duration', 'fast'], ['--rate', '0/s'], ['--seed', '1.5']]) {
      const r = await cli(['run', '--reports', reports, '-e', 'RATE=20/s', flag!, value!, file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`option '${flag}`);
    }
  });

  it('validate checks the router config and the SLO metric names as run would, each positioned, exit 2', async () => {
    await writeFile(join(reports, 'router.yml'), 'name: r\nproviders:\n  joke: { url: http://127.0.0.1:9101 }\n  backup: { url: http://127.0.0.1:9102 }\nroutes:\n  - { match: /joke, upstreams: [joke, jokes] }\n');
    await writeFile(
      join(reports, 's.yaml'),
      `name: s
target: { router: router.yml }
providers: [{ name: joke, fixture: joke }, { name: spare, fixture: joke }]
load: { rate: 10/s, duration: 2s, requests: [{ path: /joke }] }
slos:
  - { name: a, expr: 'retry_attempt_total{route="/joke"} < 10' }
`,
    );
    const r = await cli(['validate', join(reports, 's.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/router\.yml:6:39 +routes\[0\]\.upstreams\[1\] +unknown provider "jokes"/);
    // The router's own issues come first: fixed, the cross-checks show.
    await writeFile(join(reports, 'router.yml'), 'name: r\nproviders:\n  joke: { url: http://127.0.0.1:9101 }\n  backup: { url: http://127.0.0.1:9102 }\nroutes:\n  - { match: /joke, upstreams: [joke, backup] }\n');
    const x = await cli(['validate', join(reports, 's.yaml')]);
    expect(x.code).toBe(2);
    expect(x.stderr).toMatch(/s\.yaml:3:12 +providers +the router config calls provider `backup` \(router\.yml:4\), which this scenario does not declare/);
    expect(x.stderr).toMatch(/s\.yaml:3:\d+ +providers\[1\]\.name +the router config \(router\.yml\) never calls provider `spare`/);
    expect(x.stderr).toMatch(/s\.yaml:6:\d+ +slos\[0\]\.expr +`retry_attempt_total` is not exported by the target .*did you mean `retry_attempts_total`\?/);
    expect(x.stderr).toContain('3 problems in 1 file(s)');
  });

  it('validate takes folders as suite does', async () => {
    const r = await cli(['validate', 'test/fixtures/e2e']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok  test/fixtures/e2e/joke-tiny.yaml');
    expect(r.stdout).toContain('ok  test/fixtures/e2e/joke-tiny.broken.yaml');
    const empty = await cli(['validate', reports]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no scenario files (*.yaml) in this folder');
  });

  it('init writes a commented starter scenario that validates, and refuses to overwrite it', async () => {
    await writeFile(join(reports, 'package.json'), JSON.stringify({ name: '@acme/Checkout-Service' }));
    const r = await cli(['init', '--provider', 'payments=http://127.0.0.1:12111', '--provider', 'quotes=http://127.0.0.1:12112'], { cwd: reports });
    expect(r.code).toBe(0);
    const file = join(reports, 'chaos', 'checkout-service.yaml');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('command: node server.js');
    expect(text).toContain('PAYMENTS_URL: "{{providers.payments.url}}"');
    expect(text).toContain('QUOTES_URL: "{{providers.quotes.url}}"');
    expect(text).toContain('layer: network');
    expect(text).toContain('layer: http');
    expect(text.split('\n').filter((l) => l.includes('#')).length).toBeGreaterThan(20);
    const v = await cli(['validate', file]);
    expect(v.stderr).toBe('');
    expect(v).toMatchObject({ code: 0 });
    const again = await cli(['init'], { cwd: reports });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; not overwriting');
    expect(await readFile(file, 'utf8')).toBe(text);
    const url = await cli(['init', '--url', 'http://127.0.0.1:8080', 'other.yaml'], { cwd: reports });
    expect(url.code).toBe(0);
    expect(await readFile(join(reports, 'other.yaml'), 'utf8')).toContain('listen: 127.0.0.1:26400');
    expect((await cli(['validate', join(reports, 'other.yaml')])).code).toBe(0);
  });

  it('the wrong-path case: a path the provider does not serve answers 404, which is no longer a success (exit 1)', async () => {
    await writeFile(join(reports, 'passthrough.yaml'), 'name: passthrough\nproviders:\n  joke: { url: http://127.0.0.1:9101 }\nroutes:\n  - { match: /**, upstreams: [joke], timeout: 500ms }\n');
    await writeFile(
      join(reports, 'wrong-path.yaml'),
      `name: wrong-path
target: { router: passthrough.yaml }
providers: [{ name: joke, fixture: joke }]
load:
  rate: 40/s
  duration: 6s
  requests:
    - { name: right, path: /joke }
    - { name: wrong, path: "\${WRONG_PATH}" }
    - { name: expected-404, path: /nope, expect: { status: [404] } }
slos:
  - { name: right path, expr: 'availability{route="right"} >= 99%' }
  - { name: wrong path, expr: 'availability{route="wrong"} >= 99%' }
  - { name: a 404 that is meant, expr: 'availability{route="expected-404"} >= 99%' }
`,
    );
    // -e fills the path; --duration and --rate shorten the run.
    const r = await cli(['run', '--reports', reports, '--no-progress', '-e', 'WRONG_PATH=/jokes/random', '--duration', '2s', '--rate', '30', join(reports, 'wrong-path.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ wrong path +0 % ≥ 99 %/);
    expect(r.stdout).toMatch(/✓ right path +100 % ≥ 99 %/);
    expect(r.stdout).toMatch(/✓ a 404 that is meant +100 % ≥ 99 %/);
    const [runId] = await readdir(join(reports, 'wrong-path'));
    expect(runId).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}$/);
    const result = JSON.parse(await readFile(join(reports, 'wrong-path', runId!, 'result.json'), 'utf8'));
    expect(result.durationMs).toBe(2000);
    expect(result.load).toMatchObject({ rate: 30, requests: 60 });
    // The summary's availability uses the same rule: right and expected-404 succeed, wrong does not.
    // (a third of the mix, drawn at random, is the wrong path)
    expect(result.load.availability).toBeGreaterThan(0.45);
    expect(result.load.availability).toBeLessThan(0.85);
    expect(result.upstream.some((u: { byStatus: Record<string, number> }) => (u.byStatus['404'] ?? 0) > 0)).toBe(true);
  }, 60_000);
});

describe('faultline CLI on hostile files', () => {
  const bomb = `a: &a [${Array(10).fill(1).join(',')}]\nb: &b [${Array(10).fill('*a').join(',')}]\nc: [${Array(10).fill('*b').join(',')}]\n`;

  it('an alias bomb, an unresolved alias and 3,000-deep nesting are positioned issues with exit 2 for validate, run and router --config', async () => {
    const files = { 'bomb.yaml': bomb, 'alias.yaml': 'name: *x\n', 'deep.yaml': `${'- '.repeat(3000)}1\n` };
    for (const [name, text] of Object.entries(files)) await writeFile(join(reports, name), text);
    for (const name of Object.keys(files)) {
      const file = join(reports, name);
      for (const args of [['validate', file], ['run', file, '-o', reports], ['router', '--config', file, '--port', '0']]) {
        const r = await cli(args);
        expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`${name}:\\d+:\\d+ `));
        expect(r.stderr).not.toMatch(/\n\s+at |RangeError|ReferenceError/);
      }
    }
  });

  it('prints every issue and the summary through a slow pipe: nothing is lost when the process ends', async () => {
    // ~130 KB of issues, read by a consumer that starts late: the pipe buffer (64 KB) fills.
    const keys = Array.from({ length: 2500 }, (_, i) => `unknown-field-number-${i}: 1`).join('\n');
    const file = join(reports, 'many.yaml');
    await writeFile(file, `name: many\n${keys}\n`);
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const sh = spawn('sh', ['-c', `"${process.execPath}" "${join(root, 'src/cli/main.ts')}" validate "${file}" 2>&1 | (sleep 1; cat)`], { env: { ...process.env, NO_COLOR: '1' } });
      let text = '';
      sh.stdout.on('data', (d) => (text += d));
      sh.on('close', (code) => resolve({ code, text }));
    });
    expect(out.text.length).toBeGreaterThan(131_072);
    expect(out.text.match(/unknown field/g)).toHaveLength(2500);
    expect(out.text.trimEnd().split('\n').at(-1)).toMatch(/^\d+ problems in 1 file\(s\)$/);
  });

  it('quotes names and keys escaped and shortened: one line per issue, no escape sequence reaches the terminal', async () => {
    const file = join(reports, 'evil.yaml');
    await writeFile(file, `name: "evil\\e[31m\\rname"\n"k\\e]0;title\\u0007ey": 1\n? ${'x'.repeat(1_000_000)}\n: 1\n`);
    const r = await cli(['validate', file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    // Every line is an issue of its own, as many as the summary counts; none split by a CR or LF of the file.
    const count = Number(/(\d+) problems/.exec(r.stderr)?.[1]);
    expect(lines.filter((l) => l.startsWith(file))).toHaveLength(count);
    expect(lines.length).toBe(count + 2);
    expect(r.stderr).toContain('unknown field `k\\x1b]0;title\\x07ey`');
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(1000);
  });
});
