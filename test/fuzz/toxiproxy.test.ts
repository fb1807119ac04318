/**
 * Fuzzes the embedded Toxiproxy API (issue 9): sequences of hostile requests — odd methods,
 * paths and headers, malformed, deep and huge JSON, names that cannot come back, toxic
 * attributes of every type, proxies pointed at each other, raw bytes on a socket — against a
 * server on 127.0.0.1. After every sequence: no 5xx, no request without an answer within its
 * bound, /version still answers, every proxy a response said was created is in GET /proxies,
 * each listed proxy can be deleted by its name, and no port it listened on is left open.
 *
 *   npx vitest run test/fuzz/toxiproxy.test.ts                 # bounded, for CI
 *   FAULTLINE_FUZZ_RUNS=10000 npx vitest run test/fuzz/toxiproxy.test.ts   # npm run fuzz
 *   FAULTLINE_FUZZ_SEED=7 ...                                  # another seed
 *   FAULTLINE_FUZZ_TOXIPROXY_URL=http://127.0.0.1:18474 ...    # the same requests to another Toxiproxy:
 *                                                              # counted and printed, not asserted
 */
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seededRng } from '../../src/core/rng.ts';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/toxiproxy/index.ts';
import { canConnect, closeAll, echoServer, type TcpFixture } from '../../src/toxiproxy/testing.ts';
import { FUZZ_SEED, fuzzReport, fuzzRuns } from './budget.ts';

/** Every request must be answered (or its socket closed) within this. */
const REQUEST_BOUND_MS = 5000;

/** Another Toxiproxy to send the same sequences to (a real one, to compare); the embedded one when unset. */
const TARGET = process.env['FAULTLINE_FUZZ_TOXIPROXY_URL'] || undefined;

let embedded: ToxiproxyServer | undefined;
let server: { url: string; host: string; port: number };
let echo: TcpFixture;
const counts = { requests: 0, crashes: 0, hangs: 0, '5xx': 0 };
const problems: string[] = [];

beforeAll(async () => {
  if (TARGET) {
    const u = new URL(TARGET);
    server = { url: TARGET.replace(/\/+$/, ''), host: u.hostname, port: Number(u.port) };
  } else {
    embedded = await startToxiproxyServer({ port: 0, rng: seededRng(FUZZ_SEED) });
    server = embedded;
  }
  echo = await echoServer();
});

afterAll(async () => {
  await embedded?.close();
  await closeAll();
});

// ---- what a request is made of --------------------------------------------------------------

/** A value resolved when the request is sent: the listen address of the i-th proxy created so far. */
type Addr = string | { listenOf: number };

const loneSurrogates = fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\ud83d');
const oddName = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '', '.', '..', '...', 'a/b', '%', '%2F', 'a b', '?', '#', '\u0000', '\n', 'ünï', '🙂'),
  loneSurrogates,
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer({ min: 250, max: 20_000 }).map((n) => 'x'.repeat(n)),
);
/** Mostly a few reusable names, so requests meet each other's proxies and toxics. */
const name = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('p0', 'p1', 'p2', '__proto__') }, { weight: 2, arbitrary: oddName });
const toxicName = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('t0', 't1', 'latency_downstream', '__proto__') }, { weight: 1, arbitrary: oddName });

const listen: fc.Arbitrary<Addr> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('127.0.0.1:0') },
  { weight: 1, arbitrary: fc.constantFrom('localhost:0', '[::1]:0', '127.0.0.2:0', ':0', '127.0.0.1', '127.0.0.1:99999', 'nope', '[::1', '127.0.0.1:-1', '') },
  { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 60_000 }).map((p) => `127.0.0.1:${p}`) },
  { weight: 2, arbitrary: fc.nat(3).map((i) => ({ listenOf: i })) },
);
const upstream: fc.Arbitrary<Addr | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('$echo') },
  { weight: 3, arbitrary: fc.nat(3).map((i) => ({ listenOf: i })) }, // towards loops
  { weight: 1, arbitrary: fc.constantFrom('127.0.0.1:1', 'localhost:1', '0.0.0.0:1', 'example.invalid:80', ':80', '127.0.0.1:0', 'x', '', '[::1]:1') },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const TOXIC_TYPES = ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data'];
const ATTRIBUTE_KEYS = ['latency', 'jitter', 'rate', 'delay', 'timeout', 'average_size', 'size_variation', 'bytes', '__proto__', 'constructor', 'x'];
const anyValue = fc.oneof(
  fc.integer({ min: -5, max: 1000 }),
  fc.constantFrom(0, 1, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, Number.MAX_SAFE_INTEGER, 3_600_000, 3_600_001),
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);
const toxicBody = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...TOXIC_TYPES), anyValue),
    name: fc.oneof(toxicName, anyValue),
    stream: fc.oneof(fc.constantFrom('upstream', 'downstream', 'UPSTREAM', '', 'sideways'), anyValue),
    toxicity: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), anyValue),
    attributes: fc.oneof(fc.dictionary(fc.constantFrom(...ATTRIBUTE_KEYS), anyValue, { maxKeys: 4 }), anyValue),
  },
  { requiredKeys: [] },
);
const proxyBody = fc.record(
  { name: fc.oneof({ weight: 5, arbitrary: name }, { weight: 1, arbitrary: anyValue }), listen, upstream, enabled: fc.oneof(fc.boolean(), anyValue) },
  { requiredKeys: [] },
);

/** A JSON body as sent: structured (resolved at send time) or raw text. */
type Body = { json: unknown } | { text: string } | undefined;

const deep = fc.tuple(fc.integer({ min: 1, max: 6000 }), fc.constantFrom('[', '{"a":', '{"name":', '[{"name":')).map(([n, open]) => {
  const close = open === '[' ? ']' : open === '[{"name":' ? '}]' : '}';
  return `${open.repeat(n)}1${close.repeat(n)}`;
});
const rawBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 3, arbitrary: deep.map((text) => ({ text })) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ text })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((json) => ({ json })) },
  { weight: 1, arbitrary: fc.constantFrom('{', '[', '{"name":', 'null', 'true', '"x"', '1e999', '{"__proto__":{"name":"x"}}', '[null]', '\u0000').map((text) => ({ text })) },
  // Huge: past and just under the body limit (1 MiB), and a long string inside valid JSON.
  { weight: 1, arbitrary: fc.constantFrom(1024 * 1024 + 1, 1024 * 1024 - 64, 200_000).map((n) => ({ text: `{"name":"${'n'.repeat(n)}"}` })) },
);

type Req =
  | { kind: 'http'; method: string; path: string; headers: Record<string, string>; body: Body }
  | { kind: 'raw'; bytes: Buffer };

/** A name as a path segment; a lone surrogate goes as U+FFFD, which is what a UTF-8 client can send. */
const enc = (s: string) => encodeURIComponent(s.toWellFormed());

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE') },
  { weight: 1, arbitrary: fc.constantFrom('PUT', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE', 'BREW', 'get', 'M-SEARCH', 'PROPFIND') },
);
const extraHeaders = fc.dictionary(
  fc.constantFrom('user-agent', 'content-type', 'accept', 'x-forwarded-for', 'expect', 'origin', 'connection', 'x-odd'),
  fc.constantFrom('Mozilla/5.0', 'curl/8', 'text/plain', 'application/json; charset=latin1', '*/*', '100-continue', 'close', 'keep-alive', 'null', ''),
  { maxKeys: 3 },
);

const httpReq: fc.Arbitrary<Req> = fc
  .tuple(
    method,
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(['/proxies']) },
      { weight: 3, arbitrary: name.map((p) => ['/proxies/', p]) },
      { weight: 3, arbitrary: name.map((p) => ['/proxies/', p, '/toxics']) },
      { weight: 3, arbitrary: fc.tuple(name, toxicName).map(([p, t]) => ['/proxies/', p, '/toxics/', t]) },
      { weight: 2, arbitrary: fc.constantFrom(['/populate'], ['/reset'], ['/version']) },
      { weight: 1, arbitrary: fc.constantFrom(['//proxies'], ['/proxies/'], ['/proxies/%'], ['/proxies/%E0%A4%A'], ['/proxies/a/b/c/d/e'], ['/version?x=1'], ['/../version'], ['*'], ['/proxies/%2e%2e'], ['/%00']) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => [`/${s}`]) },
    ),
    fc.oneof(
      { weight: 3, arbitrary: proxyBody.map((json) => ({ json }) as Body) },
      { weight: 3, arbitrary: toxicBody.map((json) => ({ json }) as Body) },
      { weight: 2, arbitrary: fc.array(proxyBody, { maxLength: 5 }).map((json) => ({ json }) as Body) },
      { weight: 2, arbitrary: rawBody },
      { weight: 2, arbitrary: fc.constant(undefined) },
    ),
    extraHeaders,
  )
  .map(([m, parts, body, headers]) => {
    // Names go in encoded (as a careful client sends them); the literal segments stay as they are.
    const path = parts.map((p, i) => (i % 2 === 1 ? enc(p) : p)).join('');
    // Bodies go where they make sense most of the time, anywhere some of the time.
    return { kind: 'http', method: m, path, headers, body };
  });

const rawReq: fc.Arbitrary<Req> = fc
  .oneof(
    fc.constantFrom(
      'GET /version\r\n',
      'GET /version\n',
      'GET /version HTTP/1.1\r\n',
      'GET /version HTTP/1.1\r\nHost: x\r\n',
      'GET /version HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /version HTTP/9.9\r\n\r\n',
      'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"name"',
      'POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n',
      'GET /version HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nHost: x\r\n\r\n',
      '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', // a TLS ClientHello's start
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      '\r\n\r\n\r\n',
      '',
    ),
    fc.string({ maxLength: 60 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    fc.tuple(fc.constantFrom('GET', 'POST', 'DELETE'), fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })).map(([m, p, h]) => `${m} /${p} HTTP/1.1\r\n${h}\r\n\r\n`),
  )
  .map((s) => ({ kind: 'raw', bytes: Buffer.from(s, 'latin1') }));

const sequence = fc.array(fc.oneof({ weight: 9, arbitrary: httpReq }, { weight: 1, arbitrary: rawReq }), { minLength: 1, maxLength: 8 });

// ---- sending ------------------------------------------------------------------------------------

interface Answer {
  status: number;
  text: string;
}

/** Resolves `$echo` and `{ listenOf: i }` (the i-th listen address seen in this sequence; a free-looking one if none). */
function resolveAddrs(value: unknown, listens: string[]): unknown {
  if (value === '$echo') return echo.address;
  if (Array.isArray(value)) return value.map((v) => resolveAddrs(v, listens));
  if (value && typeof value === 'object') {
    if ('listenOf' in value && Object.keys(value).length === 1) {
      const i = (value as { listenOf: number }).listenOf;
      return listens.length ? listens[i % listens.length] : '127.0.0.1:0';
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: resolveAddrs(v, listens), enumerable: true });
    return out;
  }
  return value;
}

function sendHttp(req: Extract<Req, { kind: 'http' }>, listens: string[]): Promise<Answer | 'hang' | 'crash'> {
  const payload =
    req.body === undefined ? undefined : 'text' in req.body ? req.body.text : JSON.stringify(resolveAddrs(req.body.json, listens));
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: Answer | 'hang' | 'crash') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      r.destroy();
      resolve(v);
    };
    let r: http.ClientRequest;
    try {
      r = http.request({
        host: server.host,
        port: server.port,
        method: req.method,
        path: req.path,
        agent: false,
        headers: { ...req.headers, ...(payload !== undefined ? { 'content-length': String(Buffer.byteLength(payload)) } : {}) },
      });
    } catch {
      // Node's client refuses this method, path or header itself: not a request the server saw.
      counts.requests--;
      resolve({ status: 0, text: '' });
      return;
    }
    const timer = setTimeout(() => done('hang'), REQUEST_BOUND_MS);
    const onResponse = (res: http.IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c.length > 0 && text.length < 100_000 ? c : ''));
      res.on('end', () => done({ status: res.statusCode ?? 0, text }));
      res.on('error', () => done({ status: res.statusCode ?? 0, text }));
    };
    r.on('response', onResponse);
    r.on('connect', (res: http.IncomingMessage) => done({ status: res.statusCode ?? 0, text: '' }));
    r.on('error', () => {
      done('crash');
    });
    if (payload !== undefined) r.end(payload);
    else r.end();
  });
}

/** Raw bytes, then a half-close: the server must answer or close within the bound. */
function sendRaw(bytes: Buffer): Promise<Answer | 'hang'> {
  return new Promise((resolve) => {
    const s = net.connect(server.port, server.host);
    let got = '';
    const timer = setTimeout(() => (s.destroy(), resolve('hang')), REQUEST_BOUND_MS);
    s.on('data', (b) => (got += b.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve({ status: m ? Number(m[1]) : 0, text: got });
    });
    s.end(bytes);
  });
}


async function api(method: string, path: string): Promise<Answer> {
  const res = await fetch(server.url + path, { method, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
  return { status: res.status, text: await res.text() };
}

// ---- the property -------------------------------------------------------------------------------

function record(problem: string): void {
  if (problems.length < 20) problems.push(problem);
}

async function runSequence(reqs: Req[]): Promise<boolean> {
  /** Proxies a response said exist, by name, and every address one listened on. */
  const created = new Map<string, string>();
  const listens: string[] = [];
  const note = (p: unknown) => {
    if (!p || typeof p !== 'object') return;
    const { name: n, listen: l } = p as { name?: unknown; listen?: unknown };
    if (typeof n !== 'string' || typeof l !== 'string') return;
    created.set(n, l);
    if (!listens.includes(l)) listens.push(l);
  };
  let ok = true;
  for (const req of reqs) {
    counts.requests++;
    const what = req.kind === 'raw' ? `raw ${JSON.stringify(req.bytes.toString('latin1').slice(0, 80))}` : `${req.method} ${req.path.slice(0, 80)}`;
    const answer = req.kind === 'raw' ? await sendRaw(req.bytes) : await sendHttp(req, listens);
    if (answer === 'hang') {
      counts.hangs++;
      record(`hang: ${what}`);
      ok = false;
      continue;
    }
    if (answer === 'crash') {
      // The connection dropped without an answer: count it, then see whether the server survived.
      const alive = await api('GET', '/version').then((r) => r.status === 200, () => false);
      if (!alive || req.kind !== 'http' || !(req.body && 'text' in req.body && req.body.text.length > 1024 * 1024)) {
        counts.crashes++;
        record(`no answer: ${what}`);
        ok = false;
      }
      continue;
    }
    if (answer.status >= 500) {
      counts['5xx']++;
      record(`${answer.status}: ${what} → ${answer.text.slice(0, 200)}`);
      ok = false;
    }
    if (req.kind !== 'http' || answer.status >= 300) {
      // A failed populate still lists what it applied.
      if (req.kind === 'http' && req.path === '/populate') {
        try {
          for (const p of (JSON.parse(answer.text) as { proxies?: unknown[] | null }).proxies ?? []) note(p);
        } catch {
          // not JSON: nothing applied
        }
      }
      continue;
    }
    try {
      const body = answer.text ? (JSON.parse(answer.text) as unknown) : undefined;
      if (req.path === '/populate') for (const p of (body as { proxies: unknown[] }).proxies) note(p);
      else if (/^\/proxies(\/[^/]+)?$/.test(req.path) && req.method !== 'GET' && req.method !== 'DELETE') note(body);
      else if (req.method === 'DELETE' && /^\/proxies\/[^/]+$/.test(req.path) && answer.status === 204) {
        created.delete(decodeURIComponent(req.path.slice('/proxies/'.length)));
      }
    } catch {
      // a 2xx that is not JSON (HEAD, 204): nothing to note
    }
  }

  // The server still answers, lists every proxy it said it created, and deletes each by name.
  const version = await api('GET', '/version').catch(() => undefined);
  if (version?.status !== 200) {
    counts.crashes++;
    record('GET /version failed after the sequence');
    return false;
  }
  const listing = JSON.parse((await api('GET', '/proxies')).text) as Record<string, { listen: string }>;
  for (const n of created.keys()) {
    if (!Object.hasOwn(listing, n)) {
      record(`created but not listed: ${JSON.stringify(n.slice(0, 40))}`);
      ok = false;
    }
  }
  for (const [n, p] of Object.entries(listing)) {
    if (!listens.includes(p.listen)) listens.push(p.listen);
    const del = await api('DELETE', `/proxies/${encodeURIComponent(n)}`);
    if (del.status !== 204) {
      record(`listed but not deletable (${del.status}): ${JSON.stringify(n.slice(0, 40))}`);
      ok = false;
    }
  }
  const left = (await api('GET', '/proxies')).text;
  if (left !== '{}') {
    record(`proxies left after clean-up: ${left.slice(0, 200)}`);
    ok = false;
  }
  for (const l of listens) {
    if (!l.endsWith(':0') && (await canConnect(l))) {
      record(`port left listening after clean-up: ${l}`);
      ok = false;
    }
  }
  return ok;
}

it('the Toxiproxy API survives hostile request sequences: no 5xx, no hang, nothing it created left behind', async () => {
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(sequence, async (reqs) => {
      const ok = await runSequence(reqs);
      if (!TARGET) expect(ok, problems.join('\n')).toBe(true);
    }),
    { numRuns: fuzzRuns(300), seed: FUZZ_SEED, endOnFailure: true },
  );
  fuzzReport('toxiproxy api', { requests: counts.requests, crashes: counts.crashes, hangs: counts.hangs, '5xx': counts['5xx'] });
  console.log(`fuzz toxiproxy api: ${fuzzRuns(300)} sequences in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${FUZZ_SEED})`);
  if (TARGET) {
    console.log(`against ${TARGET}, first problems:\n${problems.join('\n')}`);
    return;
  }
  expect(problems).toEqual([]);
  expect([counts.crashes, counts.hangs, counts['5xx']]).toEqual([0, 0, 0]);
}, 3_600_000);
