/**
 * What a client may hold of the live router (server.ts): a request body up to its route's
 * `maxRequestBody`, a connection up to the `server` timeouts. Real sockets on 127.0.0.1,
 * every count and wait bounded.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { compileRouterConfig, DEFAULT_MAX_REQUEST_BODY, DEFAULT_SERVER_TIMEOUTS, type RouterFile } from './config.ts';
import { compileBodyLimit, compileServerTimeouts, MAX_REQUEST_BODY_BOUND } from './limits.ts';
import { parseRouterConfig } from './load.ts';
import { collectIssues } from './policies/testing.ts';
import { createRouter } from './router.ts';
import { parseSize } from './schema-kit.ts';
import { startRouter, type RunningRouter } from './server.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** A provider that records what reached it and echoes the body's length. */
async function provider(hang = false): Promise<{ url: string; seen: Array<{ url: string; bytes: number }> }> {
  const seen: Array<{ url: string; bytes: number }> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.byteLength));
    req.on('end', () => {
      seen.push({ url: req.url!, bytes });
      if (hang) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ bytes }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function router(raw: Partial<RouterFile>, upstream: string): Promise<RunningRouter> {
  const compiled = compileRouterConfig({
    name: 'limits',
    providers: { up: { url: 'http://127.0.0.1:1' } },
    routes: [
      { match: '/small/**', upstreams: ['up'], maxRequestBody: '1KiB' },
      { match: '/big/**', upstreams: ['up'], maxRequestBody: '4MiB' },
      { match: '/**', upstreams: ['up'], timeout: '10s' },
    ],
    ...raw,
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  const running = await startRouter({ config: compiled.value, upstreams: { up: upstream } });
  cleanup.push(() => running.close());
  return running;
}

/** Sends a chunked body of `total` bytes in 64 KiB chunks; resolves with the status and how much was written before the answer came. */
function chunkedPost(url: string, total: number): Promise<{ status: number; written: number; body: string }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request(url, { method: 'POST', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/octet-stream' } }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, written, body }));
    });
    req.on('error', (e) => (answered ? undefined : reject(e)));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.byteLength;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with ms until the socket closed, or rejects after `within` ms. */
function closedWithin(s: net.Socket, within: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    if (s.destroyed) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`socket still open after ${within} ms`)), within);
    s.on('error', () => {});
    // Read to the end: a socket's close is seen only once its FIN is read.
    s.resume();
    s.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

describe('request-body limits', () => {
  it('parses sizes and bounds the limit', () => {
    expect([parseSize('1MiB'), parseSize('1MB'), parseSize('512KiB'), parseSize('100kB'), parseSize('4096B'), parseSize(7)]).toEqual([1_048_576, 1_000_000, 524_288, 100_000, 4096, 7]);
    const ok = parseRouterConfig('name: x\nproviders: { a: { url: http://a.test } }\nroutes: [{ match: /a, upstreams: [a] }]\n');
    expect(ok.ok && ok.value.maxRequestBody).toBe(DEFAULT_MAX_REQUEST_BODY);
    expect(ok.ok && ok.value.server).toEqual(DEFAULT_SERVER_TIMEOUTS);
    const bad = parseRouterConfig(`name: x
maxRequestBody: 2GiB
server: { headersTimeout: 1m, requestTimeout: 10s, keepAliveTimeout: 0s }
providers: { a: { url: http://a.test } }
routes: [{ match: /a, upstreams: [a], maxRequestBody: 2000MiB }]
`);
    expect(bad.ok ? [] : bad.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^maxRequestBody: maxRequestBody must be at most 1GiB/),
      expect.stringMatching(/^server\.headersTimeout: headersTimeout \(60s\) must not exceed requestTimeout \(10s\)/),
      expect.stringMatching(/^server\.keepAliveTimeout: keepAliveTimeout must be more than 0/),
      expect.stringMatching(/^routes\[0\]\.maxRequestBody: maxRequestBody must be at most 1GiB/),
    ]);
    const garbled = parseRouterConfig('name: x\nproviders: { a: { url: http://a.test } }\nroutes: [{ match: /a, upstreams: [a], maxRequestBody: lots }]\n');
    expect(garbled.ok ? [] : garbled.issues.map((i) => i.path)).toEqual(['routes[0].maxRequestBody']);
  });

  it('answers 413 to a Content-Length over the route limit before reading the body, and forwards nothing', async () => {
    const up = await provider();
    const r = await router({}, up.url);
    const small = await fetch(`${r.url}/small/x`, { method: 'POST', body: 'a'.repeat(1025) });
    expect(small.status).toBe(413);
    expect(await small.json()).toMatchObject({ error: 'request_too_large', limit: 1024 });
    const fits = await fetch(`${r.url}/small/x`, { method: 'POST', body: 'a'.repeat(1024) });
    expect(fits.status).toBe(200);
    expect(await fits.json()).toEqual({ bytes: 1024 });
    // The route's own limit over the default (1 MiB).
    const big = await fetch(`${r.url}/big/x`, { method: 'POST', body: Buffer.alloc(3 * 1024 * 1024) });
    expect(big.status).toBe(200);
    const tooBigForDefault = await fetch(`${r.url}/other`, { method: 'POST', body: Buffer.alloc(DEFAULT_MAX_REQUEST_BODY + 1) });
    expect(tooBigForDefault.status).toBe(413);
    // The limit is the route's the normalised path falls in.
    const dotted = await fetch(`${r.url}/big/../small/x`, { method: 'POST', body: 'a'.repeat(2000) });
    expect(dotted.status).toBe(413);
    expect(up.seen.map((s) => s.bytes)).toEqual([1024, 3 * 1024 * 1024]);
  });

  it('counts a chunked body as it streams: 413 long before a 64 MiB body is sent, nothing forwarded', async () => {
    const up = await provider();
    const r = await router({ maxRequestBody: '256KiB' }, up.url);
    const res = await chunkedPost(`${r.url}/other`, 64 * 1024 * 1024);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'request_too_large', limit: 256 * 1024 });
    expect(res.written).toBeLessThan(32 * 1024 * 1024);
    const fits = await chunkedPost(`${r.url}/other`, 128 * 1024);
    expect(fits.status).toBe(200);
    expect(up.seen).toEqual([{ url: '/other', bytes: 128 * 1024 }]);
  });

  it('refuses Expect: 100-continue with a too-large Content-Length instead of inviting the body', async () => {
    const up = await provider();
    const r = await router({}, up.url);
    const s = await rawConnect(r.port);
    let got = '';
    s.on('data', (d: Buffer) => (got += d));
    s.write('POST /small/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
    await closedWithin(s, 5_000);
    expect(got).toMatch(/^HTTP\/1\.1 413 /);
    expect(got).not.toContain('100 Continue');
    expect(up.seen).toEqual([]);

    // One that fits is invited, read and forwarded, without the Expect header (undici refuses it: that was a 502).
    const ok = await rawConnect(r.port);
    let answer = '';
    ok.on('data', (d: Buffer) => {
      answer += d;
      if (answer.includes('100 Continue') && !answer.includes('\r\n\r\nHTTP')) ok.write('hello');
    });
    ok.write('POST /small/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    await closedWithin(ok, 5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(up.seen).toEqual([{ url: '/small/x', bytes: 5 }]);
  });

  it('handle() refuses a body over the route limit too (callers without server.ts)', async () => {
    const compiled = compileRouterConfig({ name: 'x', maxRequestBody: 10, providers: { up: { url: 'http://127.0.0.1:1' } }, routes: [{ match: '/**', upstreams: ['up'] }] });
    if (!compiled.ok) throw new Error('config');
    let sent = 0;
    const r = createRouter({ config: compiled.value, transport: { send: async () => (sent++, { status: 200, headers: {}, body: new Uint8Array() }), close: async () => {} } });
    expect((await r.handle({ method: 'POST', path: '/a', headers: {}, body: new Uint8Array(11) })).status).toBe(413);
    expect((await r.handle({ method: 'POST', path: '/a', headers: {}, body: new Uint8Array(10) })).status).toBe(200);
    expect(sent).toBe(1);
    expect(r.bodyLimit('/a')).toBe(10);
    await r.close();
  });
});

describe('connection timeouts', () => {
  const server = { headersTimeout: '300ms', requestTimeout: '600ms', keepAliveTimeout: '200ms', idleTimeout: '1s' };

  it('closes 500 parked connections (nothing sent) within headersTimeout and a check interval', async () => {
    const up = await provider();
    const r = await router({ server }, up.url);
    const sockets = await Promise.all(Array.from({ length: 500 }, () => rawConnect(r.port)));
    const waits = await Promise.all(sockets.map((s) => closedWithin(s, 5_000)));
    expect(Math.max(...waits)).toBeLessThan(5_000);
    // The router still serves.
    expect((await fetch(`${r.url}/x`)).status).toBe(200);
  });

  it('closes a slowloris connection (headers a byte at a time) with 408 after headersTimeout', async () => {
    const up = await provider();
    const r = await router({ server }, up.url);
    const s = await rawConnect(r.port);
    let got = '';
    s.on('data', (d: Buffer) => (got += d));
    const head = 'GET /x HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => {
      if (!s.destroyed) s.write(head[i++ % head.length]!);
    }, 50);
    try {
      const took = await closedWithin(s, 5_000);
      expect(took).toBeGreaterThanOrEqual(250);
      expect(got).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
    expect(up.seen).toEqual([]);
  });

  it('closes a connection whose body never finishes after requestTimeout', async () => {
    const up = await provider();
    const r = await router({ server }, up.url);
    const s = await rawConnect(r.port);
    s.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
    const took = await closedWithin(s, 5_000);
    expect(took).toBeGreaterThanOrEqual(400);
    expect(up.seen).toEqual([]);
  });

  it('closes an idle keep-alive connection after keepAliveTimeout', async () => {
    const up = await provider();
    const r = await router({ server }, up.url);
    const s = await rawConnect(r.port);
    let got = '';
    s.on('data', (d: Buffer) => (got += d));
    s.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
    const took = await closedWithin(s, 3_000);
    expect(got).toMatch(/^HTTP\/1\.1 200 /);
    expect(took).toBeLessThan(3_000);
  });

  it('closes a connection silent both ways for idleTimeout, a request in flight included', async () => {
    const up = await provider(true);
    const r = await router({ server }, up.url);
    const s = await rawConnect(r.port);
    s.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
    const took = await closedWithin(s, 4_000);
    expect(took).toBeGreaterThanOrEqual(800);
  });
});

describe('limits config', () => {
  it('compiles sizes to bytes and timeouts to whole ms, defaults filled', () => {
    const { issue, issues } = collectIssues();
    expect(compileBodyLimit('512KiB', ['maxRequestBody'], issue)).toBe(512 * 1024);
    expect(compileBodyLimit(MAX_REQUEST_BODY_BOUND, ['maxRequestBody'], issue)).toBe(MAX_REQUEST_BODY_BOUND);
    expect(compileServerTimeouts(undefined, issue)).toEqual(DEFAULT_SERVER_TIMEOUTS);
    expect(compileServerTimeouts({ headersTimeout: '1.5ms', idleTimeout: '1m' }, issue)).toEqual({ ...DEFAULT_SERVER_TIMEOUTS, headersTimeout: 2, idleTimeout: 60_000 });
    expect(issues).toEqual([]);
  });

  it('reports a body limit over 1GiB, a timeout no timer can hold, and headers slower than the request', () => {
    const { issue, issues } = collectIssues();
    expect(compileBodyLimit('2GiB', ['routes', 0, 'maxRequestBody'], issue)).toBeUndefined();
    expect(compileServerTimeouts({ keepAliveTimeout: '0s', headersTimeout: '40s' }, issue)).toMatchObject({ keepAliveTimeout: 5_000, headersTimeout: 40_000 });
    expect(issues).toEqual([
      'routes.0.maxRequestBody: maxRequestBody must be at most 1GiB (1073741824 bytes): bodies are buffered whole',
      "server.keepAliveTimeout: keepAliveTimeout must be more than 0 and at most 2147483647 ms (about 24.8 days), Node's longest timer",
      'server.headersTimeout: headersTimeout (40s) must not exceed requestTimeout (30s): the headers are part of the request',
    ]);
  });
});
