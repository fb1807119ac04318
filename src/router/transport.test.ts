import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { NetworkError } from './policies/errors.ts';
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
