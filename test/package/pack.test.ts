/**
 * faultline as a user gets it: `npm pack` the project, install the tarball into a temporary
 * project that has nothing else (plus vitest for the matcher, and @types/node as TypeScript
 * users have), and use it there: `npx faultline --version`, `npx faultline run` on short
 * scenarios (a bundled fixture; the user's own TypeScript MSW handlers) and a Vitest file
 * using `runScenario` and `faultline/vitest` — on the pinned Node and on the oldest Node that
 * `engines` allows (the npm registry's `node` package). Everything lives under one temporary
 * folder, removed at the end; installs go through npm's own cache.
 *
 * Skipped, with the reason, only when the npm registry cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { descendantsOf } from '../support/processes.ts';

const root = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  engines: { node: string };
  bin: Record<string, string>;
};
const installed = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The lowest version `engines.node` names (`^22.19.0 || >=24` → 22.19.0). */
function oldestAllowed(range: string): string {
  const versions = [...range.matchAll(/(\d+)(?:\.(\d+))?(?:\.(\d+))?/g)].map((m) => [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)]);
  versions.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!);
  return versions[0]!.join('.');
}

const PINNED_NODE = realpathSync(join(root, 'node_modules/.bin/node'));
const PINNED_VERSION = installed('node');
const OLDEST_VERSION = oldestAllowed(pkg.engines.node);
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * npm settings that say how to reach the registry (and where the cache is): kept for the
 * child npm. Every other npm_* variable `npm test` sets describes this repository (its
 * package, its local prefix, `allow_scripts`, …) and would leak into the temporary project.
 */
const NPM_KEEP = /^npm_config_(registry|cache|cafile|ca|cert|key|proxy|https_proxy|noproxy|strict_ssl|userconfig|globalconfig|@.*:registry)$/i;

/** Environment for child npm/npx: none of this run's npm_* (but NPM_KEEP) or VITEST* variables. */
function cleanEnv(nodeDir?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|vitest|node_options$|init_cwd$|tinypool)/i.test(k) && !NPM_KEEP.test(k)) continue;
    env[k] = v;
  }
  env.NO_COLOR = '1';
  env.CI = '1';
  // `nodeDir` first on PATH: npx, and the `#!/usr/bin/env node` of faultline's bin, run on it.
  // It holds nothing but `node`.
  if (nodeDir) env.PATH = `${nodeDir}${delimiter}${env.PATH ?? ''}`;
  return env;
}

const running = new Set<number>();

/** Runs a command in its own process group; a command that outlives `timeoutMs` is killed with its group. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (child.pid) running.add(child.pid);
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${opts.timeoutMs} ms]`;
      killGroup(child.pid);
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (child.pid) running.delete(child.pid);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function killGroup(pid: number | undefined) {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

const show = (r: Ran) => `exit ${r.code} after ${r.ms} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** Whether the npm registry answers; the only reason this file skips. */
async function registryReachable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const r = await run('npm', ['ping', '--fetch-retries=0', '--loglevel=error'], { cwd: tmpdir(), timeoutMs: 20_000 });
    const why = `${r.stderr}\n${r.stdout}`.split('\n').find((l) => l.trim() && !/complete log of this run/.test(l)) ?? `exit ${r.code}`;
    return r.code === 0 ? { ok: true } : { ok: false, reason: `npm ping failed: ${why.trim()}` };
  } catch (e) {
    return { ok: false, reason: `npm could not be started: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const registry = await registryReachable();
if (!registry.ok) console.warn(`test/package/pack.test.ts skipped: the npm registry cannot be reached (${registry.reason})`);

/** The router config the temporary project carries: the tarball ships no bundled configs. */
const ROUTER_WITH_RETRIES = readFileSync(join(root, 'fixtures/routers/joke.yaml'), 'utf8');
const ROUTER_WITHOUT_RETRIES = `name: joke-no-retries
providers:
  joke: { url: http://127.0.0.1:9101 }
routes:
  - match: /joke
    upstreams: [joke]
    timeout: 500ms
`;
const scenario = (name: string, router: string) => `name: ${name}
seed: 7
target:
  router: ./${router}
providers:
  - name: joke
    fixture: joke
load:
  rate: 40/s
  duration: 3s
  requests:
    - path: /joke
faults:
  - name: joke-5xx
    target: { provider: joke }
    layer: http
    kind: error
    rate: 30%
    status: 503
slos:
  - name: availability
    expr: availability >= 99%
`;

/** A user's own MSW handlers, in TypeScript (Node strips the types: the reason for the floor in `engines`). */
const USER_HANDLERS = `import { http, HttpResponse } from 'msw';

interface Joke {
  id: number;
  text: string;
}
const jokes: Joke[] = [{ id: 1, text: 'A TCP packet walks into a bar. "I want a beer." "You want a beer?" "Yes, a beer."' }];

export default [http.get('/joke', () => HttpResponse.json(jokes[0] satisfies Joke | undefined))];
`;
const HANDLERS_SCENARIO = `name: own-handlers
seed: 3
target:
  router: ./joke-router.yaml
providers:
  - name: joke
    handlers: ./mocks/joke.ts
load:
  rate: 20/s
  duration: 2s
  requests:
    - path: /joke
slos:
  - name: availability
    expr: availability >= 99%
`;

const USER_TEST = `import { expect, test } from 'vitest';
import { runScenario, type RunResult } from 'faultline';
import 'faultline/vitest';

test('runs on the Node it was given', () => {
  expect(process.version).toBe(process.env.EXPECTED_NODE);
});

test('the joke API with retries meets its SLOs', async () => {
  const result: RunResult = await runScenario('smoke.yaml', { reportsDir: 'reports-vitest' });
  expect(result).toMeetSLOs();
}, 60_000);

test('without retries the matcher fails, naming the SLO', async () => {
  const result = await runScenario('smoke.broken.yaml', { reportsDir: 'reports-vitest' });
  expect(result).not.toMeetSLOs();
  expect(() => expect(result).toMeetSLOs()).toThrow(/availability/);
}, 60_000);
`;

/**
 * The checkout service misconfigured: it calls payments under a prefix the payments upstream
 * does not serve, so every charge answers 404. That must fail (a 404 is no success) and say
 * that the provider answered mostly 4xx.
 */
const WRONG_PATH_SCENARIO = `name: checkout-wrong-path
seed: 5
target:
  command: node ../service/server.js
  env:
    PAYMENTS_URL: "{{providers.payments.url}}/api/v2"
    QUOTES_URL: "{{providers.quotes.url}}"
  ready: { http: /healthz, timeout: 15s }
providers:
  - { name: payments, handlers: ../mocks/payments.ts }
  - { name: quotes, handlers: ../mocks/quotes.ts }
load:
  rate: 20/s
  duration: 2s
  requests:
    - { method: POST, path: /checkout, body: { sku: tea, qty: 1 } }
slos:
  - name: availability
    expr: availability >= 99%
`;

/** A service said to be running where nothing listens: an environment failure, not an SLO breach. */
const UNREACHABLE_SCENARIO = `name: checkout-unreachable
target:
  url: http://127.0.0.1:9
  ready: { http: /healthz, timeout: 2s }
providers:
  - { name: quotes, handlers: ../mocks/quotes.ts }
load:
  rate: 10/s
  duration: 2s
  requests:
    - path: /checkout
slos:
  - name: availability
    expr: availability >= 99%
`;

describe.skipIf(!registry.ok)('the packed package, installed into an empty project', () => {
  let tmp = '';
  let project = '';
  let tarball = '';
  let packed: { size: number; unpackedSize: number; entryCount: number; files: { path: string }[] };
  const nodeDirs = new Map<string, string>();

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'faultline-pack-'));
    project = join(tmp, 'project');
    const oldNode = join(tmp, `node-${OLDEST_VERSION}`);
    await mkdir(project);
    await mkdir(oldNode);

    // The oldest Node `engines` allows, from the registry's `node` package, installed while
    // the tarball is packed (its install script fetches the binary: hence allowScripts).
    await writeFile(join(oldNode, 'package.json'), JSON.stringify({ name: 'old-node', private: true, allowScripts: { node: true } }));
    const nodeInstall = run('npm', ['install', `node@${OLDEST_VERSION}`, ...NPM_FLAGS], { cwd: oldNode, timeoutMs: 180_000 });

    // `npm pack` runs `prepack`, the build; the tarball's file list comes back as JSON.
    const pack = await run('npm', ['pack', '--json', '--pack-destination', tmp, '--loglevel=error'], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 120_000 });
    expect(pack.code, show(pack)).toBe(0);
    const json = pack.stdout.slice(pack.stdout.search(/^\[\s*\{/m));
    [packed] = JSON.parse(json) as (typeof packed)[];
    tarball = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!);
    console.log(`npm pack: ${pack.ms} ms, ${packed.entryCount} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);

    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'faultline-user', private: true, type: 'module' }, null, 2));
    await writeFile(join(project, 'joke-router.yaml'), ROUTER_WITH_RETRIES);
    await writeFile(join(project, 'joke-router.broken.yaml'), ROUTER_WITHOUT_RETRIES);
    await writeFile(join(project, 'smoke.yaml'), scenario('smoke', 'joke-router.yaml'));
    await writeFile(join(project, 'smoke.broken.yaml'), scenario('smoke-broken', 'joke-router.broken.yaml'));
    await writeFile(join(project, 'chaos.test.ts'), USER_TEST);
    await mkdir(join(project, 'mocks'));
    await writeFile(join(project, 'mocks/joke.ts'), USER_HANDLERS);
    await writeFile(join(project, 'own-handlers.yaml'), HANDLERS_SCENARIO);
    // The checkout example as a user would copy it into their project: service, mocks, scenarios, test.
    await cp(join(root, 'examples/checkout'), join(project, 'checkout'), { recursive: true });
    await writeFile(join(project, 'checkout/chaos/wrong-path.yaml'), WRONG_PATH_SCENARIO);
    await writeFile(join(project, 'checkout/chaos/unreachable.yaml'), UNREACHABLE_SCENARIO);
    await writeFile(
      join(project, 'tsconfig.json'),
      // skipLibCheck off: the published declarations must hold up against their dependencies' own.
      JSON.stringify({ compilerOptions: { target: 'es2024', module: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, include: ['chaos.test.ts', 'mocks/*.ts', 'checkout/**/*.ts'] }),
    );
    const install = await run('npm', ['install', tarball, `vitest@${installed('vitest')}`, `@types/node@${installed('@types/node')}`, ...NPM_FLAGS], { cwd: project, timeoutMs: 180_000 });
    expect(install.code, show(install)).toBe(0);
    console.log(`npm install <tarball> vitest @types/node: ${install.ms} ms`);

    const node = await nodeInstall;
    expect(node.code, show(node)).toBe(0);
    console.log(`npm install node@${OLDEST_VERSION}: ${node.ms} ms`);
    nodeDirs.set(PINNED_VERSION, dirname(PINNED_NODE));
    nodeDirs.set(OLDEST_VERSION, dirname(realpathSync(join(oldNode, 'node_modules/.bin/node'))));
  }, 300_000);

  afterAll(async () => {
    for (const pid of running) killGroup(pid);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('ships built JavaScript, declarations, the report template and the schema, and nothing else', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'scenarios/schema.json', 'bin/faultline.js', 'dist/index.js', 'dist/index.d.ts', 'dist/vitest.js', 'dist/vitest.d.ts', 'dist/cli/main.js', 'dist/run/provider-host.js', 'dist/run/router-host.js', 'dist/report/templates/report.hbs']) {
      expect(files).toContain(f);
    }
    const unwanted = files.filter((f) => /\.test\.|(^|\/)testing\.|^(src|test|bench|fixtures|scripts|reports|examples\/.*test)\/|\.pem$|TEST-ONLY|\.tsbuildinfo$/.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
    expect(unwanted).toEqual([]);
    expect(readFileSync(join(root, 'dist/cli/main.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it("a user's test file type-checks against the published declarations", async () => {
    const tsc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project, timeoutMs: 60_000 });
    expect(tsc.code, show(tsc)).toBe(0);
  }, 60_000);

  it('installs no testcontainers (optional peer)', () => {
    expect(existsSync(join(project, 'node_modules/testcontainers'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/@testcontainers/toxiproxy'))).toBe(false);
  });

  it('--toxiproxy container without testcontainers installed says how to install it', async () => {
    const r = await run('npx', ['--no-install', 'faultline', 'run', 'smoke.yaml', '--toxiproxy', 'container'], { cwd: project, env: cleanEnv(dirname(PINNED_NODE)), timeoutMs: 30_000 });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('npm i -D testcontainers @testcontainers/toxiproxy');
  }, 40_000);

  describe.each([
    ['pinned', PINNED_VERSION],
    ['oldest in engines', OLDEST_VERSION],
  ])('on Node %s (%s)', (_label, version) => {
    const env = () => ({ ...cleanEnv(nodeDirs.get(version)), EXPECTED_NODE: `v${version}` });

    it('npx faultline --version prints the package version', async () => {
      const r = await run('npx', ['--no-install', 'faultline', '--version'], { cwd: project, env: env(), timeoutMs: 30_000 });
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }, 40_000);

    it('npx faultline run: a short scenario passes and writes result.json', async () => {
      const reports = `reports-${version}`;
      const r = await run('npx', ['--no-install', 'faultline', 'run', 'smoke.yaml', '--reports', reports, '--no-progress'], { cwd: project, env: env(), timeoutMs: 60_000 });
      console.log(`Node ${version}: faultline run ${r.ms} ms`);
      expect(r.code, show(r)).toBe(0);
      // The run's folder, beside latest.html (src/report/index-page.ts).
      const runs = readdirSync(join(project, reports, 'smoke')).filter((f) => f !== 'latest.html');
      expect(runs).toHaveLength(1);
      const result = JSON.parse(await readFile(join(project, reports, 'smoke', runs[0]!, 'result.json'), 'utf8'));
      expect(result).toMatchObject({ status: 'completed', verdict: 'pass', environment: { node: `v${version}` } });
      expect(result.slos.map((s: { name: string; passed: boolean }) => [s.name, s.passed])).toEqual([['availability', true]]);
      expect(result.load.requests).toBeGreaterThan(50);
      expect(existsSync(join(project, reports, 'smoke', runs[0]!, 'report.html'))).toBe(true);
    }, 70_000);

    it("a provider from the user's own TypeScript MSW handlers (type stripping, no flag)", async () => {
      const reports = `reports-handlers-${version}`;
      const r = await run('npx', ['--no-install', 'faultline', 'run', 'own-handlers.yaml', '--reports', reports, '--no-progress'], { cwd: project, env: env(), timeoutMs: 60_000 });
      expect(r.code, show(r)).toBe(0);
      const [runId] = readdirSync(join(project, reports, 'own-handlers'));
      const result = JSON.parse(await readFile(join(project, reports, 'own-handlers', runId!, 'result.json'), 'utf8'));
      expect(result).toMatchObject({ verdict: 'pass', environment: { node: `v${version}` } });
      expect(result.upstream.reduce((n: number, u: { requests: number }) => n + u.requests, 0)).toBeGreaterThan(20);
    }, 70_000);

    it("a Vitest file using runScenario and 'faultline/vitest' passes (and the matcher fails a broken twin)", async () => {
      const r = await run('npx', ['--no-install', 'vitest', 'run', 'chaos.test.ts', '--reporter=verbose'], { cwd: project, env: env(), timeoutMs: 120_000 });
      console.log(`Node ${version}: vitest ${r.ms} ms`);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toMatch(/3 passed/);
    }, 130_000);
  });

  describe('the checkout example (examples/checkout), as a user runs it', () => {
    const env = () => cleanEnv(dirname(PINNED_NODE));
    const resultOf = async (reports: string, name: string) => {
      const [runId] = readdirSync(join(project, reports, name));
      return { dir: join(project, reports, name, runId!), result: JSON.parse(await readFile(join(project, reports, name, runId!, 'result.json'), 'utf8')) };
    };

    it('npx faultline run: the service, started by target.command, absorbs a network and an HTTP fault on its upstreams (exit 0)', async () => {
      const r = await run('npx', ['--no-install', 'faultline', 'run', 'checkout/chaos/checkout.yaml', '--reports', 'reports-example', '--no-progress'], { cwd: project, env: env(), timeoutMs: 90_000 });
      expect(r.code, show(r)).toBe(0);
      const { dir, result } = await resultOf('reports-example', 'checkout');
      expect(result).toMatchObject({ status: 'completed', verdict: 'pass', warnings: [] });
      expect(new Set(result.faults.map((f: { layer: string }) => f.layer))).toEqual(new Set(['http', 'network']));
      const calls = Object.fromEntries(result.providers.map((p: { name: string; requests: number }) => [p.name, p.requests]));
      expect(calls.payments).toBeGreaterThan(result.load.requests);
      expect(calls.quotes).toBeGreaterThan(0);
      // The retries and the fallback really acted: payments saw its 503s retried, quotes' outage was priced from cache.
      expect(result.slos.find((s: { name: string }) => s.name === 'quotes outage priced from cache').value).toBeGreaterThan(0);
      expect(readFileSync(join(dir, 'target.stdout.log'), 'utf8')).toContain('checkout listening on');
      expect(r.stderr).toMatch(/provider payments at http:\/\/127\.0\.0\.1:\d+/);
    }, 100_000);

    it('its broken twin (no retries, no fallback) fails as expected (exit 0, as its junit.xml passes) and names the SLOs it breached', async () => {
      const r = await run('npx', ['--no-install', 'faultline', 'run', 'checkout/chaos/checkout.broken.yaml', '--reports', 'reports-example', '--no-progress'], { cwd: project, env: env(), timeoutMs: 90_000 });
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toMatch(/EXPECTED FAIL/);
      expect(r.stdout).toMatch(/✗ availability\s+\d+(\.\d+)? % ≥ 99 % \(short by/);
      expect(r.stdout).toMatch(/✗ quotes outage priced from cache/);
    }, 100_000);

    it('its Vitest file: toMeetSLOs() passes on the service and catches the broken twin', async () => {
      const r = await run('npx', ['--no-install', 'vitest', 'run', 'checkout/checkout.test.ts', '--reporter=verbose'], { cwd: project, env: env(), timeoutMs: 150_000 });
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toMatch(/2 passed/);
    }, 160_000);

    it('a url: provider puts the network and HTTP faults in front of a real upstream (the payments stub)', async () => {
      const stub = spawn(process.execPath, ['checkout/upstreams/payments-stub.js'], { cwd: project, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          stub.stdout.on('data', (d: Buffer) => {
            const m = /http:\/\/127\.0\.0\.1:\d+/.exec(String(d));
            if (m) resolve(m[0]);
          });
          stub.once('exit', (code) => reject(new Error(`the payments stub exited (${code})`)));
        });
        const r = await run('npx', ['--no-install', 'faultline', 'run', 'checkout/chaos/checkout-stub-upstream.yaml', '-e', `PAYMENTS_STUB_URL=${url}`, '--reports', 'reports-example', '--no-progress'], { cwd: project, env: env(), timeoutMs: 90_000 });
        expect(r.code, show(r)).toBe(0);
        const { result } = await resultOf('reports-example', 'checkout-stub-upstream');
        const payments = result.providers.find((p: { name: string }) => p.name === 'payments');
        expect(payments).toMatchObject({ kind: 'url', upstream: url });
        expect(payments.requests).toBeGreaterThan(result.load.requests);
        expect(r.stderr).toContain(`→ ${url}`);
      } finally {
        stub.kill('SIGKILL');
      }
    }, 100_000);

    it('a target that does not answer exits 2 with the reason, and no SLO verdict', async () => {
      const r = await run('npx', ['--no-install', 'faultline', 'run', 'checkout/chaos/unreachable.yaml', '--reports', 'reports-example', '--no-progress'], { cwd: project, env: env(), timeoutMs: 60_000 });
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toMatch(/was not ready within 2s .*ECONNREFUSED/);
      expect(r.stdout).not.toMatch(/SLOs held/);
    }, 70_000);

    it('a service calling a path its provider does not serve fails, and the run says the provider answered 4xx', async () => {
      const r = await run('npx', ['--no-install', 'faultline', 'run', 'checkout/chaos/wrong-path.yaml', '--reports', 'reports-example', '--no-progress'], { cwd: project, env: env(), timeoutMs: 60_000 });
      expect(r.code, show(r)).toBe(1);
      const { result } = await resultOf('reports-example', 'checkout-wrong-path');
      expect(result.load.availability).toBe(0);
      expect(result.warnings.join('\n')).toMatch(/payments.*4xx/);
      expect(r.stdout).toMatch(/WARNING: .*payments.*4xx/);
    }, 70_000);
  });

  it('leaves no process behind', () => {
    expect(descendantsOf(process.pid)).toEqual([]);
  });
});
