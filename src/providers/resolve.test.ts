/**
 * `resolveChain` answers as MSW's own `getResponse` does, for the handler shapes it takes its
 * short way with (plain `http.*` handlers: params, fall-through, a thrown Response, a
 * body read by a handler that falls through, `finalize`) and for those it hands to
 * `handler.run` (once, a custom predicate, a generator, cookies).
 */
import { describe, expect, it } from 'vitest';
import { getResponse, http, HttpResponse, type HttpHandler } from 'msw';
import { isLean, originOf, resolveChain } from './resolve.ts';

const BASE = 'http://provider.test';

async function both(make: () => HttpHandler[], request: () => Request, times = 1): Promise<{ ours: string[]; msw: string[] }> {
  const describe = async (r: Response | undefined) => (r ? `${r.status} ${r.headers.get('x-who') ?? ''} ${await r.text()}` : 'none');
  const a = make();
  const b = make();
  const ours: string[] = [];
  const msw: string[] = [];
  for (let i = 0; i < times; i++) {
    ours.push(await describe(await resolveChain(a, request(), { baseUrl: BASE, requestId: String(i) })));
    msw.push(await describe(await getResponse(b, request(), { baseUrl: BASE, quiet: true })));
  }
  return { ours, msw };
}

describe('resolveChain', () => {
  it('matches paths and params as MSW does, relative and absolute, with a query', async () => {
    const make = () => [
      http.get('/a/:id', ({ params }) => HttpResponse.json({ id: params.id })),
      http.get(`${BASE}/b/*`, ({ request }) => HttpResponse.text(new URL(request.url).search)),
      http.post('/a/:id', () => HttpResponse.text('post')),
    ];
    for (const url of ['/a/7', '/a/8?x=1', '/b/c/d?q=2', '/c', '/a/7/extra']) {
      const { ours, msw } = await both(make, () => new Request(BASE + url), 2);
      expect(ours, url).toEqual(msw);
    }
    const { ours, msw } = await both(make, () => new Request(`${BASE}/a/9`, { method: 'POST', body: 'x' }));
    expect(ours).toEqual(msw);
  });

  it('falls through a handler that returns nothing, with the body whole for the next (as a clone per handler, the fixture server\'s way)', async () => {
    const make = () => [
      http.post('*', async ({ request }) => {
        await request.text();
        return undefined;
      }),
      http.post('/echo', async ({ request }) => HttpResponse.text(await request.text())),
    ];
    const request = () => new Request(`${BASE}/echo`, { method: 'POST', body: 'hello' });
    const ours = await resolveChain(make(), request(), { baseUrl: BASE, requestId: '1' });
    expect(await ours!.text()).toBe('hello');
    // MSW's getResponse hands every handler the same request: the second finds the body read.
    await expect(getResponse(make(), request(), { baseUrl: BASE, quiet: true })).rejects.toThrow(/Body/);
  });

  it('takes a thrown Response as the answer and passes other errors on', async () => {
    const { ours, msw } = await both(
      () => [
        http.get('/t', () => {
          throw HttpResponse.text('thrown', { status: 418 });
        }),
      ],
      () => new Request(`${BASE}/t`),
    );
    expect(ours).toEqual(['418  thrown']);
    expect(ours).toEqual(msw);
    const boom = [
      http.get('/t', () => {
        throw new Error('boom');
      }),
    ];
    await expect(resolveChain(boom, new Request(`${BASE}/t`), { baseUrl: BASE, requestId: '1' })).rejects.toThrow('boom');
  });

  it('keeps MSW semantics for once, custom predicates, generators and cookies (through handler.run)', async () => {
    const make = () => [
      http.get('/once', () => HttpResponse.text('first'), { once: true }),
      http.get('/once', () => HttpResponse.text('then')),
      http.get(({ request }) => new URL(request.url).pathname === '/custom', () => HttpResponse.text('custom')),
      http.get('/gen', function* () {
        yield HttpResponse.text('one');
        yield HttpResponse.text('two');
        return HttpResponse.text('last');
      }),
      http.get('/cookie', ({ cookies }) => HttpResponse.text(String(cookies.session))),
    ];
    for (const [url, init] of [['/once', {}], ['/custom', {}], ['/gen', {}], ['/cookie', { headers: { cookie: 'session=abc' } }]] as const) {
      const { ours, msw } = await both(make, () => new Request(BASE + url, init), 4);
      expect(ours, url).toEqual(msw);
    }
  });

  it('runs finalize cleanups, as MSW does', async () => {
    const run = async (resolve: (handlers: HttpHandler[], request: Request) => Promise<Response | undefined>) => {
      const log: string[] = [];
      const handlers = [
        http.get('/f', ({ finalize }) => {
          finalize(() => void log.push('cleaned'));
          return HttpResponse.text('ok');
        }),
      ];
      const res = await resolve(handlers, new Request(`${BASE}/f`));
      log.push(await res!.text());
      await new Promise((r) => setImmediate(r));
      return log;
    };
    const ours = await run((h, r) => resolveChain(h, r, { baseUrl: BASE, requestId: 'x' }));
    const msw = await run((h, r) => getResponse(h, r, { baseUrl: BASE, quiet: true }));
    expect(ours).toEqual(msw);
    expect(ours).toContain('cleaned');
  });

  it('takes the short way with plain handlers only', () => {
    expect(isLean(http.get('/a', () => undefined))).toBe(true);
    expect(isLean(http.all('*', () => undefined))).toBe(true);
    expect(isLean(http.get('/a', () => undefined, { once: true }))).toBe(false);
    expect(isLean(http.get(() => true, () => undefined))).toBe(false);
  });

  it('finds a URL origin as new URL does', () => {
    for (const u of ['http://a.test/x?y', 'https://b.test:8443/', 'http://u:p@c.test/z', 'http://127.0.0.1:9201/joke']) expect(originOf(u), u).toBe(new URL(u).origin);
  });
});
