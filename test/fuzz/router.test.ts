/**
 * Fuzzing the live router's request handling: hostile requests as raw bytes over a socket
 * to a started router (fixtures/routers/gateway.yaml) on 127.0.0.1, its upstreams healthy
 * loopback servers. Properties, per request and over the run:
 *
 * - never a crash: no uncaught exception or unhandled rejection, and /healthz still answers;
 * - never a hang: every exchange ends (the router answers or closes) within HANG_MS;
 * - never a 5xx of the router's own making (the upstreams here never fail, so any 5xx is);
 * - no protected route reached without auth: the orders upstream (JWT route) only ever sees
 *   the valid token, and no upstream gets a path a lenient server reads as /api/orders.
 *
 * Requests: methods odd and ordinary; paths with dot segments, encodings, slashes,
 * backslashes and random bytes; forged, expired and valid tokens; huge and many headers;
 * Content-Length and Transfer-Encoding conflicts (smuggling-ish); bodies right, short and
 * broken-chunked; HTTP/1.0, LF-only line ends, pipelining; and plain random bytes.
 *
 * `npm test`: fuzzRuns(300), a few seconds. `npm run fuzz` (FAULTLINE_FUZZ_RUNS=10000): the
 * deep run; FAULTLINE_FUZZ_SEED explores other seeds.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.ts';
import { loadRouterConfig } from '../../src/router/load.ts';
import { startRouter, type RunningRouter } from '../../src/router/server.ts';
import { FUZZ_SEED, fuzzReport, fuzzRuns } from './budget.ts';

/** Longest one exchange may take before it counts as a hang. */
const HANG_MS = 3_000;
/** With no answer this long after the bytes went out, the client half-closes (it has sent all it will). */
const HALF_CLOSE_MS = 150;
const RUNS = fuzzRuns(300);

interface Seen {
  provider: string;
  path: string;
  authorization: string | undefined;
}

const seen: Seen[] = [];
const servers: Server[] = [];
let router: RunningRouter;
let tokens: Record<string, string>;
const crashes: unknown[] = [];
const onCrash = (e: unknown) => crashes.push(e);

async function upstream(name: string): Promise<string> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.on('data', () => {});
    req.on('end', () => {
      seen.push({ provider: name, path: req.url!, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    req.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const loaded = await loadRouterConfig(new URL('../../fixtures/routers/gateway.yaml', import.meta.url).pathname);
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  // No per-client limit (it would turn the run into 429s); short connection timeouts, so a
  // request the fuzzer leaves unfinished cannot hold the run.
  const { rateLimit: _limit, ...config } = loaded.value;
  config.server = { headersTimeout: 1_000, requestTimeout: 2_000, keepAliveTimeout: 500, idleTimeout: 5_000 };
  config.maxRequestBody = 64 * 1024;
  const upstreams: Record<string, string> = {};
  for (const key of ['users@eu', 'users@us', 'products', 'orders', 'checkout', 'checkout-v2']) upstreams[key] = await upstream(key.split('@')[0]!);
  router = await startRouter({ config, upstreams });
  tokens = JSON.parse(await readFile(new URL('../../fixtures/keys/gateway-tokens.TEST-ONLY.json', import.meta.url), 'utf8')) as Record<string, string>;
});

afterAll(async () => {
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  await router?.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** How the most lenient upstream reads a path (every escape decoded, `\` as `/`, `;params` dropped, dots resolved). */
function lenient(target: string): string {
  let p = target.split('?')[0]!;
  for (let i = 0; i < 2; i++) p = p.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  const out: string[] = [];
  for (const raw of p.replace(/\\/g, '/').split('/')) {
    const s = raw.split(';')[0]!;
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return '/' + out.join('/');
}

/**
 * Complete responses at the front of `text` (the router always sends Content-Length; HEAD,
 * 1xx, 204 and 304 have no body), and whether the last one is complete.
 */
function responses(text: string, head: boolean): { statuses: number[]; complete: boolean } {
  const statuses: number[] = [];
  let pos = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', pos);
    if (end < 0) return { statuses, complete: pos === text.length && statuses.length > 0 };
    const lines = text.slice(pos, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? NaN);
    if (!Number.isFinite(status)) return { statuses, complete: false };
    const length = Number(lines.find((l) => /^content-length:/i.test(l))?.split(':')[1] ?? 0);
    const bodyLength = head || status < 200 || status === 204 || status === 304 ? 0 : length;
    if (text.length < end + 4 + bodyLength) return { statuses, complete: false };
    if (status >= 200) statuses.push(status);
    pos = end + 4 + bodyLength;
  }
}

/**
 * One exchange over a fresh socket: the bytes out, then the answers back, until the router
 * closes, or it has answered in full (a short wait for more when the bytes hold several
 * requests). With no answer after HALF_CLOSE_MS the client half-closes, as a client that has sent
 * all it will; nothing at all by HANG_MS is a hang.
 */
function exchange(bytes: Buffer): Promise<{ text: string; statuses: number[]; hung: boolean }> {
  const sent = bytes.toString('latin1');
  const head = /^HEAD /.test(sent);
  const pipelined = (sent.match(/ HTTP\/1\.[01]\r?\n/g)?.length ?? 0) > 1;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const s = net.connect(router.port, '127.0.0.1');
    const text = () => Buffer.concat(chunks).toString('latin1');
    const finish = (hung: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(hang);
      clearTimeout(quiet);
      clearTimeout(halfClose);
      s.destroy();
      const t = text();
      const parsed = responses(t, head);
      // A connection the router closed may end in an answer without a length (node:http's own 400s).
      const statuses = [...parsed.statuses];
      const last = /HTTP\/1\.[01] (\d{3})[^]*$/.exec(t);
      if (!parsed.complete && last && statuses.length === [...t.matchAll(/HTTP\/1\.[01] [2-5]\d\d /g)].length - 1) statuses.push(Number(last[1]));
      resolve({ text: t, statuses, hung });
    };
    const hang = setTimeout(() => finish(true), HANG_MS);
    let quiet: NodeJS.Timeout | undefined;
    const halfClose = setTimeout(() => {
      if (chunks.length === 0) s.end();
    }, HALF_CLOSE_MS);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      clearTimeout(halfClose);
      clearTimeout(quiet);
      if (responses(text(), head).complete) {
        if (pipelined) quiet = setTimeout(() => finish(false), 30);
        else finish(false);
      }
    });
    s.on('error', () => {});
    s.on('close', () => finish(false));
    s.write(bytes);
  });
}

const SEGMENTS = ['api', 'orders', 'products', 'users', 'checkout', '1001', '..', '.', '', '%2e', '%2E%2e', '.%2E', '%2F', '%5C', '\\', '..;', ';x', '%252e%252e', '%00', '%', '%zz', '%C3%A9', '*', '?', '#', '~'];

const method = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') },
  { weight: 2, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'PROPFIND', 'M-SEARCH', 'get', 'PRI', 'QUERY', 'GET /x') },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
);

const path = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('/api/products/', '/api/users/', '/api/checkout/', '/api/orders/') },
          fc.constantFrom('/api/', '/', '//', 'http://x/api/products/', '*', ''),
        ),
        fc.array(
          fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...SEGMENTS) },
            { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9._~-]{0,6}$/) },
            { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
          ),
          { maxLength: 6 },
        ),
        fc.constantFrom('/', '/', '/', '//', '/./', '\\'),
        fc.constantFrom('', '?a=1', '?next=/api/orders/../x', '?%2F', '?a=%00&b=..'),
      )
      .map(([prefix, segments, sep, query]) => prefix + segments.join(sep) + query),
  },
  // Traversal into the protected route from another one, spelled every way a path can be.
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom('/api/products/', '/api/users/x/', '/api/checkout/a/b/', '//api/products/', '/api/products/./'),
        fc.array(fc.constantFrom('..', '%2e%2e', '%2E.', '.%2e', '..;', '..%2F', '..%5C', '..\\', '%252e%252e', '.'), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('/', '//', '/./'),
        fc.constantFrom('orders/1001', 'api/orders/1001', 'orders', '%6Frders/1', 'api/orders'),
      )
      .map(([prefix, dots, sep, rest]) => prefix + dots.join(sep) + sep + rest),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => '/' + Buffer.from(b).toString('latin1')) },
);

const authorization = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constant('valid').map((k) => `Bearer ${tokens[k]}`) },
  fc.constantFrom('valid', 'expired', 'algNone', 'badSignature').map((k) => `Bearer ${tokens[k]}`),
  fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer x.y.z', 'Bearer e30.e30.', 'Bearer ' + 'a'.repeat(5000)),
  fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
);

/** A header line as bytes go (latin1), hostile ones included. */
const benignHeader = fc.constantFrom('Accept: */*', 'User-Agent: fuzz', 'X-Region: eu', 'X-Region: us-east', 'X-Client-Id: client-13', 'Content-Type: application/json', 'Connection: keep-alive');

const extraHeader = fc.oneof(
  { weight: 6, arbitrary: benignHeader },
  fc.constantFrom(
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: chunked, identity',
    'Transfer-Encoding: xchunked',
    'Transfer-Encoding : chunked',
    'Transfer-Encoding:\tchunked',
    'Content-Length: 5',
    'Content-Length: 0',
    'Content-Length: -1',
    'Content-Length: 99999999999999999999',
    'Content-Length: 5, 5',
    'Content-Length: 1e3',
    'Expect: 100-continue',
    'Expect: something-else',
    'Connection: close',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Upgrade: h2c',
    'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
    'TE: trailers',
    'Trailer: x-a',
    'Keep-Alive: timeout=1',
    'Proxy-Connection: keep-alive',
    'X-Forwarded-For: 1.2.3.4, ::1, garbage',
    'X-Forwarded-For: ',
    'X-Region: eu',
    'X-Region: ' + 'x'.repeat(300),
    'X-Client-Id: client-13',
    'X-Priority: critical-plus',
    'Host: ',
    'Host: a, b',
    ' folded: continuation',
    'Bad Header: x',
    'X-Nul: a\u0000b',
    'X-Latin: caf\u00e9',
    'X-Cr: a\rb',
  ),
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), fc.string({ maxLength: 40 })).map(([k, v]) => `${k}: ${v}`),
  fc.integer({ min: 8_000, max: 40_000 }).map((n) => `X-Huge: ${'h'.repeat(n)}`),
  fc.integer({ min: 50, max: 300 }).map((n) => Array.from({ length: n }, (_, i) => `X-Many-${i}: v`).join('\r\n')),
);

const body = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  fc.constant('{"amount": 10, "currency": "EUR"}'),
  fc.string({ maxLength: 200 }),
  fc.constant('5\r\nhello\r\n0\r\n\r\n'),
  fc.constant('ZZ\r\nhello\r\n0\r\n\r\n'),
  fc.constant('5\r\nhello\r\n'),
  fc.constant('0\r\n\r\nGET /api/orders/1001 HTTP/1.1\r\nHost: x\r\n\r\n'),
  fc.constant('GET /api/orders/1001 HTTP/1.1\r\nHost: x\r\n\r\n'),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => 'b'.repeat(n)),
);

interface Shaped {
  method: string;
  path: string;
  version: string;
  eol: string;
  host: boolean;
  authorization: string | undefined;
  headers: string[];
  body: string;
  declareLength: boolean;
}

const shaped: fc.Arbitrary<Shaped> = fc.record({
  method,
  path,
  version: fc.oneof({ weight: 12, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', '')),
  eol: fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, fc.constant('\n')),
  host: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  authorization,
  headers: fc.array(extraHeader, { maxLength: 3 }),
  body,
  declareLength: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
});

function bytesOf(r: Shaped): Buffer {
  const lines = [`${r.method} ${r.path}${r.version ? ' ' + r.version : ''}`];
  if (r.host) lines.push('Host: gateway.test');
  if (r.authorization !== undefined) lines.push(`Authorization: ${r.authorization}`);
  lines.push(...r.headers);
  if (r.declareLength && r.body.length > 0) lines.push(`Content-Length: ${Buffer.byteLength(r.body, 'latin1')}`);
  return Buffer.from(lines.join(r.eol) + r.eol + r.eol + r.body, 'latin1');
}

const request = fc.oneof(
  { weight: 9, arbitrary: shaped.map(bytesOf) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
);

describe('fuzz: the router’s request handling', () => {
  it(
    `survives ${RUNS} hostile requests: no crash, no hang, no 5xx of its own, no auth bypass`,
    async () => {
      const started = performance.now();
      const counts = { requests: 0, crashes: 0, hangs: 0, '5xx': 0, 'auth bypasses': 0, '2xx': 0, '4xx': 0, upstreamed: 0 };
      const examples: string[] = [];
      const byStatus: Record<number, number> = {};
      const note = (what: string, bytes: Buffer, text: string) => {
        if (examples.length < 5) examples.push(`${what}: ${JSON.stringify(bytes.toString("latin1").slice(0, 800))} → ${JSON.stringify(text.slice(0, 300))}`);
      };
      await fc.assert(
        fc.asyncProperty(request, async (bytes) => {
          seen.length = 0;
          counts.requests++;
          const { text, statuses, hung } = await exchange(bytes);
          if (hung) {
            counts.hangs++;
            note('hang', bytes, text);
          }
          for (const status of statuses) {
            byStatus[status] = (byStatus[status] ?? 0) + 1;
            if (status >= 500) {
              counts['5xx']++;
              note('5xx', bytes, text);
            } else if (status >= 400) counts['4xx']++;
            else if (status >= 200) counts['2xx']++;
          }
          for (const s of seen) {
            counts.upstreamed++;
            const intoOrders = /^\/api\/orders(\/|$)/.test(lenient(s.path));
            if ((s.provider === 'orders' || intoOrders) && s.authorization !== `Bearer ${tokens['valid']}`) {
              counts['auth bypasses']++;
              note('auth bypass', bytes, `${s.provider} ${s.path}`);
            }
            if (intoOrders && s.provider !== 'orders') {
              counts['auth bypasses']++;
              note('orders path to another upstream', bytes, `${s.provider} ${s.path}`);
            }
          }
        }),
        { numRuns: RUNS, seed: FUZZ_SEED },
      );
      // Still serving, and nothing escaped as an exception.
      const health = await fetch(`${router.url}/healthz`);
      if (health.status !== 200) counts.crashes++;
      counts.crashes += crashes.length;
      const seconds = (performance.now() - started) / 1000;
      fuzzReport('router', { requests: counts.requests, crashes: counts.crashes, hangs: counts.hangs, '5xx': counts['5xx'], 'auth bypasses': counts['auth bypasses'] });
      console.log(`fuzz router: ${counts['2xx']} 2xx · ${counts['4xx']} 4xx · ${counts.upstreamed} upstream requests · ${seconds.toFixed(1)} s (seed ${FUZZ_SEED}) · by status ${JSON.stringify(byStatus)}`);
      if (examples.length > 0) console.log(examples.join('\n'));
      expect({ crashes: counts.crashes, hangs: counts.hangs, '5xx': counts['5xx'], 'auth bypasses': counts['auth bypasses'] }).toEqual({ crashes: 0, hangs: 0, '5xx': 0, 'auth bypasses': 0 });
      // The run reached the upstreams and the protected route, not only refusals.
      expect(counts['2xx']).toBeGreaterThan(0);
      expect(counts.upstreamed).toBeGreaterThan(0);
    },
    Math.max(30_000, RUNS * 30),
  );
});
