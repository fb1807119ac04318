/**
 * Path normalisation (path.ts) and what it guards: the gateway's JWT-protected orders route
 * cannot be reached through another route's prefix with dot segments, encodings, slashes or
 * backslashes, by any path an upstream might resolve differently from the router.
 */
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_SEED, fuzzRuns } from '../../test/fuzz/budget.ts';
import { formatIssues } from '../config/issues.ts';
import type { RouterConfig } from './config.ts';
import { loadRouterConfig } from './load.ts';
import { compileMatch, normalisePath } from './path.ts';
import { createRouter, type Router } from './router.ts';
import type { Transport } from './transport.ts';

describe('normalisePath', () => {
  it.each([
    ['/api/products/../orders/1001', '/api/orders/1001'],
    ['/api/products/./1', '/api/products/1'],
    ['/api//orders///1', '/api/orders/1'],
    ['/a//../b', '/b'],
    ['/api/products/%2e%2E/orders/1?x=/../y', '/api/orders/1?x=/../y'],
    ['/api/products/.%2e/orders', '/api/orders'],
    ['/%61pi/%7Eme', '/api/~me'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/..', '/'],
    ['/', '/'],
    ['/joke?lang=en', '/joke?lang=en'],
    ['http://gateway.test/api/x', '/api/x'],
    ['http://gateway.test', '/'],
    ['/a/...', '/a/...'],
  ])('%s → %s', (input, out) => {
    expect(normalisePath(input)).toEqual({ ok: true, path: out });
  });

  it.each([
    ['/api/products/..%2Forders/1', /encoded slash/],
    ['/api/products/..%2forders/1', /encoded slash/],
    ['/api/products/..%5Corders/1', /encoded slash or backslash/],
    ['/api/products\\..\\orders', /backslash/],
    ['/api/products/..;/orders/1', /path parameter/],
    ['/api/products/.;x/orders', /path parameter/],
    ['/a%00b', /NUL/],
    ['/api/products/%252e%252e/orders', /double percent-encoding/],
    ['/a%zz', /broken percent-encoding/],
    ['/a%4', /broken percent-encoding/],
    ['/a%', /broken percent-encoding/],
    ['/a#frag', /fragment/],
    ['/a b', /control, space or non-ASCII/],
    ['/é', /control, space or non-ASCII/],
    ['*', /must be a path/],
    ['api/x', /must be a path/],
  ])('refuses %s', (input, why) => {
    const n = normalisePath(input);
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.message).toMatch(why);
  });

  it('returns an already-normal path as it is, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = normalisePath(s);
        if (!n.ok) return;
        expect(normalisePath(n.path)).toEqual({ ok: true, path: n.path });
      }),
      { numRuns: fuzzRuns(500), seed: FUZZ_SEED },
    );
  });
});

/**
 * How the most lenient upstream could read a path: every escape decoded (%2F and %5C
 * included), backslashes as slashes, `;params` dropped from segments, slashes merged, dot
 * segments resolved. A path is safe to forward only when this reading and the router's agree.
 */
function lenient(target: string): string {
  let p = target.split('?')[0]!.split('#')[0]!;
  for (let i = 0; i < 2; i++) {
    try {
      p = decodeURIComponent(p);
    } catch {
      p = p.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  }
  p = p.replace(/\\/g, '/');
  const out: string[] = [];
  for (const raw of p.split('/')) {
    const s = raw.split(';')[0]!;
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return '/' + out.join('/');
}

const SEGMENTS = ['api', 'orders', 'products', 'users', 'checkout', '1001', '..', '.', '', '%2e', '%2E%2e', '.%2E', '%2e.', '%2F', '%2f', '%5C', '\\', '..;', '.;', ';', '%252e%252e', 'orders%2F1', '%6Frders', 'ORDERS', '%00', '%'];

describe('compileMatch', () => {
  it('matches exact paths, one segment with *, and any rest with **', () => {
    expect(compileMatch('/joke')('/joke')).toBe(true);
    expect(compileMatch('/joke')('/joke/1')).toBe(false);
    const rest = compileMatch('/weather/**');
    expect(['/weather', '/weather/oslo', '/weather/a/b'].map(rest)).toEqual([true, true, true]);
    expect(rest('/weatherx')).toBe(false);
    const one = compileMatch('/api/*/orders');
    expect(one('/api/v1/orders')).toBe(true);
    expect(one('/api/v1/x/orders')).toBe(false);
    expect(compileMatch('/a.b/**')('/aXb')).toBe(false);
  });
});

describe('the gateway: no path into the orders route reaches an upstream without its JWT', () => {
  let config: RouterConfig;
  let token: string;
  beforeAll(async () => {
    const loaded = await loadRouterConfig(new URL('../../fixtures/routers/gateway.yaml', import.meta.url).pathname);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    // The per-client limit would turn most of a long run into 429s; it is not what is tested here.
    const { rateLimit: _limit, ...rest } = loaded.value;
    config = rest;
    const tokens = JSON.parse(await readFile(new URL('../../fixtures/keys/gateway-tokens.TEST-ONLY.json', import.meta.url), 'utf8')) as Record<string, string>;
    token = tokens['valid']!;
  });

  /** The gateway route a path falls in, by the router's own matcher. */
  function routeOf(path: string): string | undefined {
    return config.routes.find((r) => compileMatch(r.match)(path))?.match;
  }

  function gateway(): { router: Router; seen: Array<{ provider: string; path: string }> } {
    const seen: Array<{ provider: string; path: string }> = [];
    const transport: Transport = {
      send: async (provider, req) => {
        seen.push({ provider: provider.name, path: req.path });
        return { status: 200, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode('{}') };
      },
      close: async () => {},
    };
    return { router: createRouter({ config, transport }), seen };
  }

  it('normalises /api/products/../orders/1001 into the orders route: 401 without a token, forwarded normalised with one', async () => {
    const { router, seen } = gateway();
    const anonymous = await router.handle({ method: 'GET', path: '/api/products/../orders/1001', headers: {} });
    expect(anonymous.status).toBe(401);
    expect(seen).toEqual([]);
    const signed = await router.handle({ method: 'GET', path: '/api/products/%2e%2e/orders/1001?v=1', headers: { authorization: `Bearer ${token}` } });
    expect(signed.status).toBe(200);
    expect(seen).toEqual([{ provider: 'orders', path: '/api/orders/1001?v=1' }]);
    const encoded = await router.handle({ method: 'GET', path: '/api/products/..%2Forders/1001', headers: {} });
    expect(encoded.status).toBe(400);
    expect(seen).toHaveLength(1);
    await router.close();
  });

  it('property: whatever the path, an upstream never sees one a lenient upstream reads as /api/orders/** unless the JWT passed, nor one it reads differently from the router', async () => {
    const { router, seen } = gateway();
    const path = fc
      .tuple(
        fc.constantFrom('/api/products/', '/api/users/', '/api/checkout/', '/api/orders/', '/api/', '/', '//api/products/'),
        fc.array(fc.oneof(fc.constantFrom(...SEGMENTS), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('/', '//', '/./'),
        fc.option(fc.constantFrom('?a=1', '?next=/api/orders/../x', '?%2F'), { nil: undefined }),
      )
      .map(([prefix, segments, sep, query]) => prefix + segments.join(sep) + (query ?? ''));
    let reached = 0;
    let ordersReached = 0;
    await fc.assert(
      fc.asyncProperty(path, fc.boolean(), async (p, signed) => {
        seen.length = 0;
        const res = await router.handle({ method: 'GET', path: p, headers: signed ? { authorization: `Bearer ${token}` } : {} });
        expect(res.status).toBeLessThan(500);
        for (const s of seen) {
          reached++;
          // What the upstream got is normal, and even a lenient upstream reads it as the route the router chose…
          expect(normalisePath(s.path)).toEqual({ ok: true, path: s.path });
          expect(routeOf(lenient(s.path))).toBe(routeOf(s.path.split('?')[0]!));
          // …and the orders provider is only ever reached with a token.
          if (s.provider === 'orders') {
            expect(signed).toBe(true);
            ordersReached++;
          }
        }
        if (!signed && routeOf(lenient(p)) === '/api/orders/**') expect(seen).toEqual([]);
      }),
      { numRuns: fuzzRuns(400), seed: FUZZ_SEED },
    );
    expect(reached).toBeGreaterThan(0);
    expect(ordersReached).toBeGreaterThan(0);
    await router.close();
  });
});
