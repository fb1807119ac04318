/**
 * What faultline's reference router costs in front of an upstream, against a bare proxy in the
 * same run: small GETs (a 53-byte JSON answer) through
 *
 *   A. faultline's router (`startRouter`) with every policy on a request's path switched on and
 *      none triggered: a router-wide rate limit, load shedding, the route's deadline, route
 *      bulkhead, retry with a budget, adaptive throttling, the provider's bulkhead and breaker,
 *      outlier detection and the per-attempt timeout;
 *   A0. the same router with no policies configured, only the default per-attempt timeout (for
 *      attribution: the router's plumbing and metrics vs its policies);
 *   B. a bare node:http server forwarding through an undici Pool with `pool.request()`
 *      (undici's documented request API), doing what any proxy must: drop hop-by-hop headers,
 *      read the answer, write it back;
 *   B′. the same bare proxy on undici's lower-level `pool.dispatch()`, which the router's
 *      transport uses: the stricter baseline, the same socket work as the router and nothing else.
 *
 * Aim (issue 4): A at least 0.9× B's throughput. The ratio to B′ is reported beside it.
 *
 * Warm-up: each proxy serves WARMUP_S of load before the rounds. A router runs far more
 * JavaScript than a bare proxy, and V8 needs tens of thousands of requests to optimise it;
 * a short warm-up measures the JIT, not the steady state a router spends its life in.
 *
 * The upstream and each proxy run in child processes of their own; the load is autocannon's
 * closed model from this process (CONNECTIONS keep-alive connections, each sending its next
 * request when the last is answered). Proxies take turns in short slices, in rotating order,
 * over several rounds; each is judged on its median. The host has 2 cores shared with other
 * work, so besides wall-clock req/s the proxies' own CPU time per request is reported: it
 * holds when the neighbours' load swings, and its ratio is the throughput ratio each proxy
 * would show with a core to itself.
 *
 *   node_modules/.bin/node bench/router.ts              # about 100 s
 *   node_modules/.bin/node bench/router.ts --quick      # about 35 s
 *   node_modules/.bin/node bench/router.ts --profile    # also CPU profiles of the proxies, summarised
 *
 * Before the load, `router.handle()` is also timed in this process with a transport that
 * answers at once: the router's own JavaScript per request, without sockets.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const QUICK = process.argv.includes('--quick');
const PROFILE = process.argv.includes('--profile');
const CONNECTIONS = 32;
const WARMUP_S = QUICK ? 2 : 3;
/**
 * Processes per proxy. Two processes of one program can settle ±20 % apart in CPU per
 * request (the JIT optimises each its own way), more than the differences measured here; so
 * each proxy runs in PROCESSES processes, taking turns round by round, and is judged on the
 * median over all of them.
 */
const PROCESSES = QUICK || PROFILE ? 1 : 2;
const SLICE_S = QUICK ? 1 : 1.5;
const ROUNDS = QUICK ? 3 : 8;
/** Hard cap on the whole run: the bench stops itself and its children. */
const DEADLINE_MS = 150_000;
const AIM = 0.9;
/** Sequential requests to each proxy before the warm-up. */
const PRIME = 100;
const PATH = '/api/items/42';

type Role = 'upstream' | 'bare' | 'bare-dispatch' | 'router' | 'router-none';

// ---- children ---------------------------------------------------------------------------------

/** Each child serves one thing on loopback, reports its port, answers `cpu`, exits on `stop` or when the parent goes. */
async function child(role: Role, upstreamPort: number): Promise<void> {
  let close: () => Promise<void> = async () => {};
  let port: number;
  if (role === 'upstream') {
    const body = Buffer.from(JSON.stringify({ id: 42, name: 'item', price: 9.99, tags: ['a', 'b'] }));
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
    });
    server.keepAliveTimeout = 60_000;
    port = await listen(server);
    close = () => new Promise((r) => server.close(() => r()));
  } else if (role === 'bare' || role === 'bare-dispatch') {
    ({ port, close } = await bareProxy(upstreamPort, role === 'bare-dispatch'));
  } else {
    const { parseRouterConfig } = await import('../src/router/load.ts');
    const { startRouter } = await import('../src/router/server.ts');
    const loaded = parseRouterConfig(role === 'router' ? allPolicies(upstreamPort) : noPolicies(upstreamPort), 'bench');
    if (!loaded.ok) throw new Error(`bench router config: ${JSON.stringify(loaded.issues)}`);
    const router = await startRouter({ config: loaded.value });
    port = router.port;
    close = () => router.close();
  }
  const stop = async () => {
    await Promise.race([close(), new Promise((r) => setTimeout(r, 2000))]);
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  // The profile covers the measured rounds only, not start-up (module loading dwarfs them).
  let session: Session | undefined;
  process.on('message', async (m: string) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpu: u.user + u.system });
    } else if (m === 'profile-start') {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 250 });
      await session.post('Profiler.start');
      process.send!({ profiling: true });
    } else if (m.startsWith('profile-stop:')) {
      const { profile } = await session!.post('Profiler.stop');
      writeFileSync(m.slice('profile-stop:'.length), JSON.stringify(profile));
      session!.disconnect();
      process.send!({ profiled: true });
    } else if (m === 'stop') void stop();
  });
  process.send!({ port });
}

const listen = (server: http.Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** Arms B and B′: node:http in, undici Pool out, nothing else. The same work a proxy cannot skip. */
async function bareProxy(upstreamPort: number, dispatch: boolean): Promise<{ port: number; close: () => Promise<void> }> {
  const { Pool } = await import('undici');
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { keepAliveTimeout: 4_000 });
  const hop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);
  type Up = { statusCode: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array };
  // B: the documented API; the body is a stream, read whole.
  const viaRequest = async (method: string, path: string, headers: Record<string, string | string[]>): Promise<Up> => {
    const up = await pool.request({ method: method as 'GET', path, headers });
    return { statusCode: up.statusCode, headers: up.headers, body: new Uint8Array(await up.body.arrayBuffer()) };
  };
  // B′: the dispatch API, chunks collected as they come (what the router's transport does).
  const viaDispatch = (method: string, path: string, headers: Record<string, string | string[]>): Promise<Up> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let statusCode = 0;
      let got: Up['headers'] = {};
      pool.dispatch(
        { method: method as 'GET', path, headers },
        {
          onRequestStart() {},
          onResponseStart(_c, status, h) {
            statusCode = status;
            got = h as Up['headers'];
          },
          onResponseData(_c, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            resolve({ statusCode, headers: got, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
          },
          onResponseError(_c, err) {
            reject(err);
          },
        },
      );
    });
  const call = dispatch ? viaDispatch : viaRequest;
  const server = http.createServer(async (req, res) => {
    try {
      const headers: Record<string, string | string[]> = {};
      for (const k in req.headers) if (!hop.has(k)) headers[k] = req.headers[k]!;
      const up = await call(req.method ?? 'GET', req.url ?? '/', headers);
      const out: Record<string, string | string[]> = {};
      for (const k in up.headers) if (!hop.has(k)) out[k] = up.headers[k]!;
      res.writeHead(up.statusCode, { ...out, 'content-length': up.body.byteLength }).end(up.body);
    } catch {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    }
  });
  const port = await listen(server);
  return {
    port,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await pool.destroy();
    },
  };
}

/** Every policy a request passes, none triggered: limits far above the load, a healthy upstream. */
function allPolicies(upstreamPort: number): string {
  return `
name: bench
rateLimit: { limit: 1000000, window: 1s }          # per client; the bench is one client
loadShedding: { maxInFlight: 10000, maxQueueDelay: 1s }
providers:
  api:
    url: http://127.0.0.1:${upstreamPort}
    bulkhead: { maxConcurrentCalls: 1000, queueCapacity: 100, maxWaitDuration: 100ms }
    adaptiveThrottling: { k: 2 }
    breaker: { failureRate: 50%, window: 100, minimumCalls: 20, openFor: 5s, halfOpen: { probes: 2 } }
routes:
  - match: /api/**
    upstreams: [api]
    timeout: 1s
    deadline: 2s
    bulkhead: { maxConcurrentCalls: 1000 }
    retry:
      maxAttempts: 3
      backoff: { base: 50ms, cap: 1s, jitter: full }
      budget: { type: concurrency, budgetPercent: 20%, minRetryConcurrency: 3 }
    outlierDetection: { consecutive5xx: 5 }
`;
}

function noPolicies(upstreamPort: number): string {
  return `
name: bench-none
providers:
  api: { url: http://127.0.0.1:${upstreamPort} }
routes:
  - { match: /api/**, upstreams: [api] }
`;
}

// ---- parent: the router's own work, without sockets --------------------------------------------

/**
 * `router.handle()` per request with a transport that answers at once (the upstream's status,
 * headers and body): the router's own JavaScript, policies and metrics included, free of the
 * syscalls and of the neighbours' noise that dominate the wire figures. Configs alternate in
 * slices, medians kept.
 */
async function inProcess(upstreamPort: number): Promise<Array<{ name: string; us: number; min: number }>> {
  const { parseRouterConfig } = await import('../src/router/load.ts');
  const { createRouter } = await import('../src/router/router.ts');
  const body = new TextEncoder().encode(JSON.stringify({ id: 42, name: 'item', price: 9.99, tags: ['a', 'b'] }));
  const answer = { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(body.byteLength), date: new Date().toUTCString(), connection: 'keep-alive', 'keep-alive': 'timeout=60' }, body };
  const transport = { send: () => Promise.resolve(answer), close: async () => {} };
  const configs = [
    { name: 'A  all policies', text: allPolicies(upstreamPort) },
    { name: 'A0 no policies', text: noPolicies(upstreamPort) },
  ];
  const routers = configs.map((c) => {
    const loaded = parseRouterConfig(c.text, 'bench');
    if (!loaded.ok) throw new Error(`bench router config: ${JSON.stringify(loaded.issues)}`);
    return createRouter({ config: loaded.value, transport });
  });
  const headers = { host: '127.0.0.1', 'user-agent': 'autocannon', connection: 'keep-alive' };
  // CPU time, not wall time: the host is shared, and waiting for a core is not the router's cost.
  const run = async (router: (typeof routers)[number], n: number) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      // What server.ts makes per request: an AbortController for the client leaving.
      const res = await router.handle({ method: 'GET', path: PATH, headers, remoteAddress: '127.0.0.1', signal: new AbortController().signal });
      if (res.status !== 200) throw new Error(`in-process router answered ${res.status}`);
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  const n = QUICK ? 2_000 : 5_000;
  // Sequential warm-up first (see PRIME), long enough for the JIT to settle (one slice was
  // not: the median then moved by 2× from run to run), then alternating slices.
  for (const r of routers) for (let w = 0; w < (QUICK ? 2 : 4); w++) await run(r, n);
  const samples = routers.map(() => [] as number[]);
  for (let round = 0; round < (QUICK ? 5 : 15); round++) for (const [i, r] of routers.entries()) samples[i]!.push(await run(r, n));
  await Promise.all(routers.map((r) => r.close()));
  return configs.map((c, i) => ({ name: c.name, us: median(samples[i]!), min: Math.min(...samples[i]!) }));
}

// ---- parent: the load -------------------------------------------------------------------------

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p99: number };
  requests: { total: number };
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Arm {
  name: string;
  role: Role;
  /** The proxy's processes (PROCESSES of them), each on its own port. */
  procs: Array<{ child: ChildProcess; port: number }>;
  rps: number[];
  p50: number[];
  p99: number[];
  cpu: number[];
  bad: number;
  /** Requests answered over the measured rounds. */
  requests: number;
  /** Non-2xx answers by status, and errors/timeouts, over the measured rounds. */
  statuses: Map<string, number>;
}

const children: ChildProcess[] = [];
/** ms from the start at which each phase ended, for the wall-time line. */
const phases = { started: 0, inProcess: 0, ready: 0 };

function spawn(role: Role, upstreamPort: number): Promise<{ child: ChildProcess; port: number }> {
  const c = fork(fileURLToPath(import.meta.url), ['child', role, String(upstreamPort)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(c);
  return new Promise((resolve, reject) => {
    c.once('message', (m) => resolve({ child: c, port: (m as { port: number }).port }));
    c.once('exit', (code) => reject(new Error(`${role} child exited (${code}) before listening`)));
  });
}

/** Sends `message` to a child and waits for its one reply. */
function ask<T>(c: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    c.once('message', (m) => resolve(m as T));
    c.send(message);
  });
}

const childCpu = async (c: ChildProcess) => (await ask<{ cpu: number }>(c, 'cpu')).cpu;

async function load(port: number, seconds: number): Promise<AutocannonResult> {
  return autocannon({ url: `http://127.0.0.1:${port}${PATH}`, connections: CONNECTIONS, duration: seconds, pipelining: 1 });
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const kill = setTimeout(() => c.kill('SIGKILL'), 3000);
          c.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          if (c.connected) c.send('stop');
          else c.kill('SIGTERM');
        }),
    ),
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  phases.started = started;
  const loadAtStart = os.loadavg()[0]!;
  const cap = setTimeout(() => {
    console.error(`bench: over the ${DEADLINE_MS / 1000} s cap; stopping`);
    for (const c of children) c.kill('SIGKILL');
    process.exit(2);
  }, DEADLINE_MS);
  cap.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const c of children) c.kill('SIGKILL');
      process.exit(130);
    });
  }
  const profileDir = PROFILE ? mkdtempSync(path.join(os.tmpdir(), 'faultline-router-prof-')) : undefined;
  let profiled: Arm[] | undefined;
  try {
    const own = await inProcess(1);
    phases.inProcess = performance.now() - started;
    const upstream = await spawn('upstream', 0);
    const names = ['A  faultline router, all policies', 'A0 faultline router, no policies', 'B  bare node:http + undici pool.request', 'B′ bare node:http + undici pool.dispatch'];
    const roles: Role[] = ['router', 'router-none', 'bare', 'bare-dispatch'];
    const arms: Arm[] = await Promise.all(
      roles.map(async (role, i) => ({
        name: names[i]!,
        role,
        procs: await Promise.all(Array.from({ length: PROCESSES }, () => spawn(role, upstream.port))),
        rps: [],
        p50: [],
        p99: [],
        cpu: [],
        bad: 0,
        requests: 0,
        statuses: new Map(),
      })),
    );

    // A sanity check that each proxy answers as the upstream does, then PRIME requests one at
    // a time: a router that has just started has no accepted requests in its adaptive throttle's
    // window, and the SRE formula then refuses concurrent requests with p = n / (n + 1) (a
    // cold-start storm); a few hundred sequential successes put it where a router in service is.
    for (const arm of arms) {
      for (const proc of arm.procs) {
        for (let i = 0; i < PRIME; i++) {
          const res = await fetch(`http://127.0.0.1:${proc.port}${PATH}`);
          const text = await res.text();
          if (res.status !== 200 || !text.includes('"id":42')) throw new Error(`${arm.name}: ${res.status} ${text}`);
        }
      }
    }
    for (const arm of arms) for (const proc of arm.procs) await load(proc.port, WARMUP_S);
    if (profileDir) for (const arm of arms) await ask(arm.procs[0]!.child, 'profile-start');
    phases.ready = performance.now() - started;

    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < arms.length; k++) {
        const arm = arms[(round + k) % arms.length]!;
        // The proxy's processes take turns, round by round.
        const proc = arm.procs[round % arm.procs.length]!;
        const before = await childCpu(proc.child);
        const r = await load(proc.port, SLICE_S);
        const after = await childCpu(proc.child);
        arm.rps.push(r.requests.total / r.duration);
        arm.p50.push(r.latency.p50);
        arm.p99.push(r.latency.p99);
        arm.cpu.push((after - before) / Math.max(1, r.requests.total));
        arm.bad += r.errors + r.timeouts + r.non2xx;
        arm.requests += r.requests.total;
        const tally = (k: string, n: number) => n > 0 && arm.statuses.set(k, (arm.statuses.get(k) ?? 0) + n);
        for (const [code, { count }] of Object.entries(r.statusCodeStats)) if (!code.startsWith('2')) tally(code, count);
        tally('errors', r.errors);
        tally('timeouts', r.timeouts);
      }
    }
    if (profileDir) {
      for (const arm of arms) await ask(arm.procs[0]!.child, `profile-stop:${path.join(profileDir, `${arm.role}.cpuprofile`)}`);
      profiled = arms;
    }
    report(arms, own, loadAtStart, (performance.now() - started) / 1000);
    // A router that refused requests says why in its metrics.
    for (const arm of arms) {
      if (arm.bad === 0 || arm.role.startsWith('bare')) continue;
      const text = (await Promise.all(arm.procs.map(async (p) => (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text()))).join('\n');
      const why = text.split('\n').filter((l) => /^\w+(rejections|shed|limited|ejections|exhausted)_total\{.*\} [1-9]/.test(l) || /^upstream_attempts_total\{.*status="(?!200)/.test(l));
      console.log(`\n${arm.name}: refusals in its metrics (since start, warm-up included)\n  ${why.join('\n  ') || '(none)'}`);
    }
  } finally {
    clearTimeout(cap);
    await stopAll();
  }
  if (profileDir) {
    if (profiled) summariseProfiles(profileDir, profiled);
    rmSync(profileDir, { recursive: true, force: true });
  }
}

function report(arms: Arm[], own: Array<{ name: string; us: number; min: number }>, loadAtStart: number, seconds: number): void {
  const [a, a0, b, b2] = arms as [Arm, Arm, Arm, Arm];
  console.log(
    `\nGET ${PATH} (53-byte JSON answer) through each proxy to one node:http upstream, loopback, keep-alive.` +
      `\nautocannon, closed model, ${CONNECTIONS} connections; ${ROUNDS} rounds of ${SLICE_S} s per proxy in rotating order, over ${PROCESSES} process${PROCESSES > 1 ? 'es' : ''} per proxy taking turns, after ${WARMUP_S} s warm-up each; medians${QUICK ? ' — quick run' : ''}.\n`,
  );
  printTable(
    ['proxy', 'req/s', 'req/s range', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors+non-2xx'],
    arms.map((x) => [
      x.name,
      median(x.rps).toFixed(0),
      `${Math.min(...x.rps).toFixed(0)}–${Math.max(...x.rps).toFixed(0)}`,
      median(x.p50).toFixed(2),
      median(x.p99).toFixed(2),
      median(x.cpu).toFixed(1),
      x.bad === 0 ? '0' : `${x.bad} (${[...x.statuses].map(([k, n]) => `${k}: ${n}`).join(', ')})`,
    ]),
  );
  // Round by round (neighbouring slices share the host's mood), then the median of the ratios.
  const measures = (base: Arm) => {
    const perRound = median(a.rps.map((r, i) => r / base.rps[i]!));
    const ofMedians = median(a.rps) / median(base.rps);
    const capacity = median(base.cpu) / median(a.cpu);
    return [perRound, ofMedians, capacity];
  };
  const [vsB, vsB2] = [measures(b), measures(b2)];
  const verdict = (x: number) => (x >= AIM ? 'yes' : 'NO');
  console.log('\nA (all policies) against B (bare proxy, the aim) and B′ (bare proxy on the router’s undici API)');
  printTable(
    ['measure', 'A / B', `aim ≥ ${AIM}`, 'A / B′'],
    ['throughput, median of per-round ratios', 'throughput, ratio of medians', 'capacity: bare CPU per request / A CPU per request'].map((m, i) => [
      m,
      vsB[i]!.toFixed(3),
      verdict(vsB[i]!),
      vsB2[i]!.toFixed(3),
    ]),
  );
  console.log(
    `\nproxy CPU per request: A ${median(a.cpu).toFixed(1)} µs, A0 ${median(a0.cpu).toFixed(1)} µs, B ${median(b.cpu).toFixed(1)} µs, B′ ${median(b2.cpu).toFixed(1)} µs` +
      ` (router without policies +${(median(a0.cpu) - median(b.cpu)).toFixed(1)} µs over bare; policies +${(median(a.cpu) - median(a0.cpu)).toFixed(1)} µs)` +
      `\nin process, no sockets: router.handle() with a transport that answers at once takes ${own.map((o) => `${o.us.toFixed(1)} µs (${o.name.slice(3)}; fastest slice ${o.min.toFixed(1)} µs)`).join(', ')} of CPU per request (median of alternating slices)` +
      `\nhost load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end, on ${os.availableParallelism()} cores; node ${process.version}` +
      `; wall time ${seconds.toFixed(1)} s (in-process ${(phases.inProcess / 1000).toFixed(1)} s, start-up, priming and warm-up ${((phases.ready - phases.inProcess) / 1000).toFixed(1)} s, rounds ${(seconds - phases.ready / 1000).toFixed(1)} s)`,
  );
}

/** What one profiled proxy spent, in µs of busy CPU per request it served. */
interface Spent {
  byCategory: Map<string, number>;
  byFunction: Map<string, number>;
  total: number;
}

/**
 * Reads a child's profile and groups its busy samples (not idle, not the profiler itself):
 * by category (syscall-bound native writes, undici, Node's HTTP and stream internals,
 * faultline's files one by one, prom-client, GC) and by function, per request served.
 */
function readProfile(file: string, requests: number): Spent {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const time = new Map<number, number>();
  prof.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const spent: Spent = { byCategory: new Map(), byFunction: new Map(), total: 0 };
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  for (const n of prof.nodes) {
    const { functionName: fn, url, lineNumber } = n.callFrame;
    const us = (time.get(n.id) ?? 0) / requests;
    if (us === 0 || fn === '(idle)' || (fn === 'post' && url === 'node:inspector')) continue;
    spent.total += us;
    const where = url.replace(/^file:\/\/.*?\/(src|node_modules|bench)\//, '$1/');
    let category: string;
    if (!url) category = fn === 'writev' || fn === 'writeUtf8String' || fn === 'writeLatin1String' || fn === 'writeBuffer' ? 'native socket writes (syscalls)' : fn === '(garbage collector)' ? 'GC' : 'other native, (program)';
    else if (where.startsWith('src/')) category = where;
    else if (where.startsWith('node_modules/')) category = where.split('/').slice(0, 2).join('/');
    else if (where.startsWith('bench/')) category = 'bench/router.ts (bare proxy handler)';
    else if (/^node:(_http|http|net)|stream|buffer/.test(url)) category = 'node: http, net, streams, buffers';
    else if (/abort_controller|event_target/.test(url)) category = 'node: AbortController, EventTarget';
    else category = 'node: other internals (events, timers, ticks)';
    add(spent.byCategory, category, us);
    if (where.startsWith('src/')) add(spent.byFunction, `${fn || '(anonymous)'}  ${where}:${lineNumber + 1}`, us);
  }
  return spent;
}

/** The proxies' profiles side by side, in µs of CPU per request, and faultline's own hot functions. */
function summariseProfiles(dir: string, arms: Arm[]): void {
  const spent = arms.map((a) => readProfile(path.join(dir, `${a.role}.cpuprofile`), a.requests));
  const categories = new Map<string, number>();
  for (const s of spent) for (const [k, us] of s.byCategory) categories.set(k, Math.max(categories.get(k) ?? 0, us));
  const rows = [...categories].sort((x, y) => y[1] - x[1]).filter(([, us]) => us >= 0.5);
  const fmt = (us: number | undefined) => (us === undefined ? '—' : us.toFixed(1));
  console.log('\nCPU profiles of the proxies over the measured rounds (sampled; idle and the profiler left out), µs per request served');
  printTable(
    ['where', ...arms.map((a) => a.name.slice(0, 2).trim())],
    [...rows.map(([k]) => [k, ...spent.map((s) => fmt(s.byCategory.get(k)))]), ['total', ...spent.map((s) => fmt(s.total))]],
  );
  console.log(`\nA's hottest functions in src/ (self time, µs per request)`);
  printTable(['µs/req', 'function'], [...spent[0]!.byFunction].sort((x, y) => y[1] - x[1]).slice(0, 15).map(([k, us]) => [us.toFixed(2), k]));
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

if (process.argv[2] === 'child') await child(process.argv[3] as Role, Number(process.argv[4]));
else await main();
