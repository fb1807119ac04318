import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { serversClosedAfterEach } from '../load/testing.ts';
import { NetworkError, TimeoutError } from './policies/errors.ts';
import { mswTransport, undiciTransport } from './transport.ts';

const provider = (url: string) => ({ key: 'p', name: 'p', url });

describe('mswTransport', () => {
  it('answers from MSW handlers, with headers and body, and no sockets', async () => {
    const t = mswTransport([
      http.get('http://p.test/base/joke', ({ request }) => {
        const headers = new Headers({ 'x-seen': request.headers.get('x-client') ?? '' });
        headers.append('set-cookie', 'a=1');
        headers.append('set-cookie', 'b=2');
        return HttpResponse.json({ ok: true }, { headers });
      }),
    ]);
    const res = await t.send(provider('http://p.test/base/'), { method: 'GET', path: '/joke', headers: { 'x-client': 'c' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-seen']).toBe('c');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(JSON.parse(new TextDecoder().decode(res.body))).toEqual({ ok: true });
  });

  it('turns HttpResponse.error() and unmatched requests into network errors', async () => {
    const t = mswTransport([http.get('http://p.test/reset', () => HttpResponse.error())]);
    await expect(t.send(provider('http://p.test'), { method: 'GET', path: '/reset', headers: {} })).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(t.send(provider('http://p.test'), { method: 'GET', path: '/other', headers: {} })).rejects.toMatchObject({ code: 'MSW_UNHANDLED' });
  });
});

describe('undiciTransport', () => {
  const server = serversClosedAfterEach();

  it('forwards method, path under the provider’s base path, headers and body, and reads a body that arrives in many chunks', async () => {
    let seen: { method?: string; url?: string; client?: string; body?: string } = {};
    const s = await server((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, client: req.headers['x-client'] as string, body: Buffer.concat(parts).toString() };
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(201, { 'content-type': 'text/plain' });
        // 64 chunks of 4 KiB, written one per tick: undici hands them over one by one.
        let i = 0;
        const next = () => (i++ < 64 ? res.write(Buffer.alloc(4096, 97 + (i % 26)), () => setImmediate(next)) : res.end());
        next();
      });
    });
    const t = undiciTransport();
    const res = await t.send(provider(`${s.url}/base/`), { method: 'POST', path: '/pay?x=1', headers: { 'x-client': 'c' }, body: new TextEncoder().encode('{"a":1}') });
    expect(seen).toEqual({ method: 'POST', url: '/base/pay?x=1', client: 'c', body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.body.byteLength).toBe(64 * 4096);
    expect(res.body[4096]).toBe(97 + (2 % 26));
    await t.close();
  });

  it('rejects with the signal’s reason when the attempt is aborted while the answer is still arriving, and with it at once when already aborted', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200);
      res.write('partial'); // and never ends
    });
    const t = undiciTransport();
    const controller = new AbortController();
    const pending = t.send(provider(s.url), { method: 'GET', path: '/', headers: {}, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    const reason = new TimeoutError(50);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(t.send(provider(s.url), { method: 'GET', path: '/', headers: {}, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await t.close();
  });

  it('reports a connection reset mid-answer as a NetworkError, and refuses calls once closed', async () => {
    const s = await server((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('short', () => req.socket.destroy());
    });
    const t = undiciTransport();
    const err = await t.send(provider(s.url), { method: 'GET', path: '/', headers: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    await t.close();
    await expect(t.send(provider(s.url), { method: 'GET', path: '/', headers: {} })).rejects.toMatchObject({ code: 'ROUTER_CLOSED' });
  });

  it('reports a refused connection as a NetworkError with its code', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const t = undiciTransport();
    const err = await t.send(provider(`http://127.0.0.1:${port}`), { method: 'GET', path: '/', headers: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe('ECONNREFUSED');
    await t.close();
  });
});
