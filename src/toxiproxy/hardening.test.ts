/**
 * Hostile input the embedded server must survive (issue 9): deep and huge JSON, names that
 * cannot come back, proxy loops, raw protocol edges. Each case failed before its fix.
 */
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRng } from '../core/rng.ts';
import { startToxiproxyServer, type ToxiproxyServer } from './index.ts';
import { findLoop, reaches } from './loops.ts';
import { MAX_NAME_LENGTH } from './schema.ts';
import { freePort } from '../load/testing.ts';
import { apiCall, canConnect, Client, closeAll, echoServer, type TcpFixture } from './testing.ts';

let server: ToxiproxyServer;
let echo: TcpFixture;

beforeEach(async () => {
  server = await startToxiproxyServer({ port: 0, rng: seededRng(1), maxConnectionsPerProxy: 50 });
  echo = await echoServer();
});

afterEach(async () => {
  await server.close();
  await closeAll();
});

const call = (method: string, path: string, body?: unknown, raw?: string) => apiCall(server.url, method, path, body, raw);


const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('deep and huge JSON', () => {
  it('answers JSON nested 5,000 deep with a 4xx and a short message, on every endpoint that takes a body', async () => {
    await call('POST', '/proxies', { name: 'svc', listen: '127.0.0.1:0', upstream: echo.address });
    await call('POST', '/proxies/svc/toxics', { type: 'latency', name: 'lat', attributes: { latency: 1 } });
    const bodies = [deepObject(5000), deepArray(5000), `[{"name":${deepObject(5000)}}]`, `{"name":${deepObject(5000)}}`, deepObject(1000)];
    const paths = ['/populate', '/proxies', '/proxies/svc', '/proxies/svc/toxics', '/proxies/svc/toxics/lat'];
    for (const path of paths) {
      for (const body of bodies) {
        const res = await call('POST', path, undefined, body);
        const what = `${path} ${body.slice(0, 30)}`;
        expect(res.status, what).toBeGreaterThanOrEqual(400);
        expect(res.status, what).toBeLessThan(500);
        expect(res.text.length, what).toBeLessThan(700);
      }
    }
  });

  it('never quotes a whole nested value back (depth 1,000 under a field, or 60 levels of wide objects)', async () => {
    const wide = JSON.stringify({ name: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'v'.repeat(50)])) });
    for (const body of [`{"name":${deepObject(1000)}}`, `[{"name":${deepObject(60)}}]`, wide, `{"name":"x","upstream":"${'9'.repeat(100_000)}"}`]) {
      const res = await call('POST', body.startsWith('[') ? '/populate' : '/proxies', undefined, body);
      expect(res.status).toBe(400);
      expect(res.text.length).toBeLessThan(700);
    }
  });

  it("populate's errors carry proxies: null, as Toxiproxy's do", async () => {
    const res = await call('POST', '/populate', undefined, deepArray(5000));
    expect(res.json).toEqual({ error: expect.stringMatching(/^bad request body: JSON nested deeper than/), status: 400, proxies: null });
  });
});

describe('names', () => {
  it('lists a proxy named __proto__ (and constructor), so clean-up from the listing frees its port', async () => {
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
      expect((await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: echo.address })).status).toBe(201);
    }
    const listed = JSON.parse((await call('GET', '/proxies')).text) as Record<string, { listen: string }>;
    expect(Object.keys(listed).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    for (const [name, p] of Object.entries(listed)) {
      expect((await call('DELETE', `/proxies/${name}`)).status).toBe(204);
      expect(await canConnect(p.listen)).toBe(false);
    }
  });

  it('lists and removes a toxic named __proto__', async () => {
    await call('POST', '/proxies', { name: 'svc', listen: '127.0.0.1:0', upstream: echo.address });
    const added = await call('POST', '/proxies/svc/toxics', { type: 'latency', name: '__proto__', attributes: { latency: 1 } });
    expect(added.status).toBe(200);
    const toxics = (await call('GET', '/proxies/svc/toxics')).json as unknown as { name: string }[];
    expect(toxics.map((t) => t.name)).toEqual(['__proto__']);
    expect((await call('DELETE', '/proxies/svc/toxics/__proto__')).status).toBe(204);
  });

  it('refuses at creation, with 400 and without listening, names that could not be fetched or deleted again', async () => {
    const port = await freePort();
    const names = ['x'.repeat(20_000), 'x'.repeat(MAX_NAME_LENGTH + 1), 'a\ud800b', '\udc00', 'a/b', '.', '..', 'a\nb', 'tab\there', '\u0000', 'del\u007f', 'c1\u0085'];
    for (const name of names) {
      const res = await call('POST', '/proxies', { name, listen: `127.0.0.1:${port}`, upstream: echo.address });
      expect(res.status, JSON.stringify(name.slice(0, 20))).toBe(400);
      expect(res.text.length).toBeLessThan(700);
      const pop = await call('POST', '/populate', [{ name, listen: `127.0.0.1:${port}`, upstream: echo.address }]);
      expect(pop.status).toBe(400);
    }
    expect(await canConnect(`127.0.0.1:${port}`)).toBe(false);
    expect((await call('GET', '/proxies')).json).toEqual({});
  });

  it('refuses the same names for toxics', async () => {
    await call('POST', '/proxies', { name: 'svc', listen: '127.0.0.1:0', upstream: echo.address });
    for (const name of ['x'.repeat(MAX_NAME_LENGTH + 1), 'a\ud800', 'a/b', '..', 'a\rb']) {
      expect((await call('POST', '/proxies/svc/toxics', { type: 'latency', name, attributes: { latency: 1 } })).status).toBe(400);
    }
    expect((await call('GET', '/proxies/svc/toxics')).json).toEqual([]);
  });

  it('accepts every other name, each fetchable and deletable by its encoded path', async () => {
    const names = ['x'.repeat(MAX_NAME_LENGTH), 'a b', 'a%b', 'a?b', 'a#b', 'ünï ☃ 🙂', '...', '-', 'a.b'];
    for (const name of names) {
      const created = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: echo.address });
      expect(created.status, name).toBe(201);
      const path = `/proxies/${encodeURIComponent(name)}`;
      expect((await call('GET', path)).json?.['name']).toBe(name);
      expect((await call('DELETE', path)).status).toBe(204);
      expect(await canConnect(created.json!['listen'] as string)).toBe(false);
    }
  });
});

describe('proxy loops', () => {
  it('refuses a proxy whose upstream is its own listen address, in every spelling of loopback', async () => {
    const port = await freePort();
    const pairs = [
      [`127.0.0.1:${port}`, `127.0.0.1:${port}`],
      [`127.0.0.1:${port}`, `localhost:${port}`],
      [`127.0.0.1:${port}`, `127.1:${port}`],
      [`127.0.0.1:${port}`, `0.0.0.0:${port}`],
      [`127.0.0.1:${port}`, `[::ffff:127.0.0.1]:${port}`],
      [`localhost:${port}`, `127.0.0.1:${port}`],
      [`0.0.0.0:${port}`, `127.0.0.1:${port}`],
      [`:${port}`, `LOCALHOST:${port}`],
    ];
    for (const [listen, upstream] of pairs) {
      const res = await call('POST', '/proxies', { name: 'loop', listen, upstream });
      expect(res.status, `${listen} → ${upstream}`).toBe(400);
      expect(res.json!['error']).toMatch(/^proxy loop: "loop" → "loop"/);
      expect(await canConnect(`127.0.0.1:${port}`)).toBe(false);
    }
  });

  it('refuses the change that closes a chain of proxies back on itself: create, update, populate', async () => {
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    const a = await call('POST', '/proxies', { name: 'a', listen: `127.0.0.1:${pa}`, upstream: `127.0.0.1:${pb}` });
    expect(a.status).toBe(201);
    const b = await call('POST', '/proxies', { name: 'b', listen: `127.0.0.1:${pb}`, upstream: `127.0.0.1:${pc}` });
    expect(b.status).toBe(201);
    // c → a closes a → b → c → a.
    const c = await call('POST', '/proxies', { name: 'c', listen: `127.0.0.1:${pc}`, upstream: `localhost:${pa}` });
    expect(c.status).toBe(400);
    expect(c.json!['error']).toMatch(/^proxy loop: "a" → "b" → "c" → "a"|"c" → "a" → "b" → "c"/);
    expect(await canConnect(`127.0.0.1:${pc}`)).toBe(false);
    // Pointing b back at a does it too; b keeps its upstream and keeps working.
    const upd = await call('POST', '/proxies/b', { upstream: `127.0.0.1:${pa}` });
    expect(upd.status).toBe(400);
    expect(((await call('GET', '/proxies/b')).json as { upstream: string }).upstream).toBe(`127.0.0.1:${pc}`);
    // populate: refused whole, before anything changes.
    const pop = await call('POST', '/populate', [
      { name: 'c', listen: `127.0.0.1:${pc}`, upstream: echo.address },
      { name: 'b', listen: `127.0.0.1:${pb}`, upstream: `127.0.0.1:${pa}` },
    ]);
    expect(pop.status).toBe(400);
    expect(pop.json!['proxies']).toBeNull();
    expect(Object.keys((await call('GET', '/proxies')).json!).sort()).toEqual(['a', 'b']);
    // A chain that ends somewhere else is fine.
    expect((await call('POST', '/proxies', { name: 'c', listen: `127.0.0.1:${pc}`, upstream: echo.address })).status).toBe(201);
    const c1 = new Client(`127.0.0.1:${pa}`);
    await c1.roundTrip('through three proxies');
    expect(c1.received.toString()).toBe('through three proxies');
  });

  it('caps the connections of a loop it cannot see (through a forwarder outside the API), which then unwinds', async () => {
    const listenPort = await freePort();
    // A plain TCP forwarder back to the proxy: the API sees only an upstream that is not a proxy.
    let open = 0;
    let peak = 0;
    const forwarder = net.createServer((inbound) => {
      peak = Math.max(peak, ++open);
      inbound.once('close', () => open--);
      const out = net.connect(listenPort, '127.0.0.1');
      inbound.pipe(out).pipe(inbound);
      const close = () => (inbound.destroy(), out.destroy());
      inbound.on('error', close).on('close', close);
      out.on('error', close).on('close', close);
    });
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
    const fwd = `127.0.0.1:${(forwarder.address() as net.AddressInfo).port}`;
    try {
      expect((await call('POST', '/proxies', { name: 'loop', listen: `127.0.0.1:${listenPort}`, upstream: fwd })).status).toBe(201);
      const victim = net.connect(listenPort, '127.0.0.1');
      victim.on('error', () => {});
      // The chain grows to the cap (50), the next connection is refused, and it all unwinds.
      const closed = await new Promise<boolean>((resolve) => {
        victim.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 5000);
      });
      expect(closed).toBe(true);
      expect(peak).toBeGreaterThan(10);
      expect(peak).toBeLessThanOrEqual(51);
      const res = await call('GET', '/version');
      expect(res.status).toBe(200);
    } finally {
      await new Promise<void>((r) => forwarder.close(() => r()));
    }
  });

  it('takes the cap from maxConnectionsPerProxy or FAULTLINE_TOXIPROXY_MAX_CONNECTIONS, and refuses a nonsensical one', async () => {
    await expect(startToxiproxyServer({ port: 0, maxConnectionsPerProxy: 0 })).rejects.toThrow(/whole number from 1/);
    process.env['FAULTLINE_TOXIPROXY_MAX_CONNECTIONS'] = 'lots';
    try {
      await expect(startToxiproxyServer({ port: 0 })).rejects.toThrow(/FAULTLINE_TOXIPROXY_MAX_CONNECTIONS.*got lots/);
    } finally {
      delete process.env['FAULTLINE_TOXIPROXY_MAX_CONNECTIONS'];
    }
  });

  it('reaches() and findLoop(): which upstreams land on which listeners', () => {
    expect(reaches('127.0.0.1:80', '127.0.0.1:80')).toBe(true);
    expect(reaches('127.0.0.1:80', '127.0.0.2:80')).toBe(false);
    expect(reaches('127.0.0.1:80', '127.0.0.1:81')).toBe(false);
    expect(reaches('127.0.0.1:0', '127.0.0.1:0')).toBe(false);
    expect(reaches('[::1]:80', 'localhost:80')).toBe(true); // localhost may resolve to ::1
    expect(reaches('localhost:80', '[::1]:80')).toBe(false); // a listen on localhost binds 127.0.0.1, as Go does
    expect(reaches('[::]:80', '[::1]:80')).toBe(true);
    expect(reaches('0.0.0.0:80', '[::1]:80')).toBe(false);
    expect(reaches('[::]:80', '0x7f000001:80')).toBe(true);
    expect(reaches('example.com:80', 'EXAMPLE.com:80')).toBe(true);
    expect(reaches('127.0.0.1:80', 'example.com:80')).toBe(false);
    expect(findLoop([{ name: 'a', listen: '127.0.0.1:1', upstream: '127.0.0.1:2' }, { name: 'b', listen: '127.0.0.1:2', upstream: 'example.com:1' }])).toBeUndefined();
    expect(
      findLoop([
        { name: 'a', listen: '127.0.0.1:1', upstream: '127.0.0.1:2' },
        { name: 'b', listen: '127.0.0.1:2', upstream: '127.0.0.1:3' },
        { name: 'c', listen: '127.0.0.1:3', upstream: '127.0.0.1:2' },
      ]),
    ).toEqual(['b', 'c', 'b']);
  });
});

describe('protocol edges', () => {
  function exchange(bytes: string, ms = 3000): Promise<string | undefined> {
    return new Promise((resolve) => {
      const s = net.connect(server.port, server.host);
      let got = '';
      const timer = setTimeout(() => (s.destroy(), resolve(undefined)), ms);
      s.on('data', (b) => (got += b.toString('latin1')));
      s.on('close', () => (clearTimeout(timer), resolve(got)));
      s.on('error', () => {});
      s.write(bytes);
    });
  }

  it('answers a request line without an HTTP version with 400 at once, and closes', async () => {
    for (const line of ['GET /version\r\n', 'GET /version\n', '\r\nGET /proxies\r\n', 'POST /populate\r\n']) {
      expect(await exchange(line, 2000), JSON.stringify(line)).toMatch(/^HTTP\/1\.1 400 /);
    }
  });

  it('still serves requests that arrive byte by byte, after leading empty lines, and kept alive', async () => {
    const s = net.connect(server.port, server.host);
    let got = '';
    s.on('data', (b) => (got += b.toString()));
    const req = '\r\nGET /version HTTP/1.1\r\nHost: x\r\n\r\nGET /proxies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    for (const ch of req) {
      s.write(ch);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => s.on('close', r));
    expect(got.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(got).toContain('"version": "2.12.0+faultline"');
  });

  it('answers CONNECT with 405 (Toxiproxy does), an unknown method with 405, oversized headers with 431', async () => {
    expect(await exchange('CONNECT /version HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 405 /);
    expect(await exchange('CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n')).toMatch(/^HTTP\/1\.1 405 /);
    expect(await exchange('BREW /version HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 405 /);
    expect(await exchange(`GET /version HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('answers half a request line closed by the client with 400, and a silent connection is let go when the server closes', async () => {
    const s = net.connect(server.port, server.host);
    let got = '';
    s.on('data', (b) => (got += b.toString()));
    s.end('GET /vers');
    await new Promise((r) => s.on('close', r));
    expect(got).toMatch(/^HTTP\/1\.1 400 /);
    const silent = net.connect(server.port, server.host);
    await new Promise((r) => silent.once('connect', r));
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    silent.destroy();
  });
});
