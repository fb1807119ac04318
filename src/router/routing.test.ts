/**
 * Routing wired into the whole router, configured from the fixture routers' YAML: provider
 * selection by compliance, live health and cost (payments), a canary with rollback, JWT on
 * a route, LLM routing by request class — each seen from outside (status codes, headers,
 * which provider got which call) and through its metrics. MSW transport, fake clock.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { importPKCS8, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues } from '../config/issues.ts';
import { FakeClock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import type { RouterConfig } from './config.ts';
import { loadRouterConfig, parseRouterConfig } from './load.ts';
import { ARM_HEADER, MODEL_HEADER, PROVIDER_HEADER, type RouterRequest } from './messages.ts';
import { runWithClock } from './policies/testing.ts';
import { createRouter, type Router } from './router.ts';
import { startRouter } from './server.ts';
import { mswTransport } from './transport.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

const fixture = (name: string) => new URL(`../../fixtures/routers/${name}.yaml`, import.meta.url).pathname;
const keyFile = (name: string) => new URL(`../../fixtures/keys/${name}`, import.meta.url);

async function load(name: string): Promise<RouterConfig> {
  const loaded = await loadRouterConfig(fixture(name));
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return loaded.value;
}

type Mode = 'ok' | '500' | '503' | 'reset' | 'hang' | 'slow';

interface Call {
  method: string;
  path: string;
  body: unknown;
}

/**
 * Fake providers, one host per provider key (`stripe@eu` → http://stripe-eu.test), each
 * answering any path. A test switches each one's mode; every call is recorded.
 */
function hosts(keys: readonly string[], clock: FakeClock) {
  const host = (key: string) => `http://${key.replace('@', '-')}.test`;
  const mode: Record<string, Mode> = Object.fromEntries(keys.map((k) => [k, 'ok']));
  const calls: Record<string, Call[]> = Object.fromEntries(keys.map((k) => [k, []]));
  const handler = (key: string) => async ({ request }: { request: Request }) => {
    const text = await request.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    calls[key]!.push({ method: request.method, path: new URL(request.url).pathname, body });
    const m = mode[key]!;
    if (m === 'hang') return new Promise<never>(() => {});
    if (m === 'reset') return HttpResponse.error();
    if (m === 'slow') await clock.sleep(600);
    if (m === '500' || m === '503') return HttpResponse.json({ error: 'down' }, { status: Number(m) });
    const model = body && typeof body === 'object' && 'model' in body ? (body as { model: unknown }).model : undefined;
    return HttpResponse.json(
      { provider: key, ...(model !== undefined && { model, usage: { prompt_tokens: 1000, completion_tokens: 1000 } }) },
      { status: request.method === 'POST' ? 201 : 200 },
    );
  };
  const handlers = keys.flatMap((k) => [http.get(`${host(k)}/*`, handler(k)), http.post(`${host(k)}/*`, handler(k))]);
  const upstreams = Object.fromEntries(keys.map((k) => [k, host(k)]));
  /** Keys that received any call. */
  const called = () => keys.filter((k) => calls[k]!.length > 0);
  const reset = () => {
    for (const k of keys) calls[k] = [];
  };
  return { mode, calls, called, reset, handlers, upstreams };
}

function setup(config: RouterConfig, keys: readonly string[], clock = new FakeClock(1_700_000_000_000)) {
  const p = hosts(keys, clock);
  const router = createRouter({ config, transport: mswTransport(p.handlers), upstreams: p.upstreams, clock, rng: seededRng(1) });
  cleanup.push(() => router.close());
  const send = async (req: Partial<RouterRequest> & { path: string; json?: unknown }) => {
    const { json, ...rest } = req;
    const body = json === undefined ? rest.body : new TextEncoder().encode(JSON.stringify(json));
    // JWT verification (WebCrypto) finishes on the real event loop, not in microtasks.
    const res = await runWithClock(clock, router.handle({ method: 'GET', headers: {}, remoteAddress: '127.0.0.1', ...rest, ...(body && { body }) }), 5, { realTurns: true });
    return { ...res, provider: res.headers[PROVIDER_HEADER], json: () => JSON.parse(new TextDecoder().decode(res.body)) };
  };
  return { clock, router, send, ...p };
}

/** The value of one exposition line, by its exact series name and labels; undefined when absent. */
async function series(router: Router, name: string): Promise<number | undefined> {
  const line = (await router.metrics.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

// ---------------------------------------------------------------------------------------

describe('payments: compliance, live health and cost (fixtures/routers/payments.yaml)', () => {
  const KEYS = ['stripe@eu', 'adyen@eu', 'stripe@us', 'adyen@us', 'braintree@us'] as const;
  let config: RouterConfig;
  beforeAll(async () => {
    config = await load('payments');
  });
  const charge = (region: string | undefined, amount = 100) => ({
    method: 'POST',
    path: '/v1/charges',
    headers: { 'content-type': 'application/json', ...(region !== undefined && { 'x-region': region }) },
    json: { amount, currency: region === 'eu' ? 'eur' : 'usd' },
  });

  it('sends each payment to the cheapest allowed provider: stripe in its own region', async () => {
    const { send, calls, router } = setup(config, KEYS);
    expect(await send(charge('eu'))).toMatchObject({ status: 201, provider: 'stripe@eu' });
    expect(await send(charge('us'))).toMatchObject({ status: 201, provider: 'stripe@us' });
    expect(await send(charge(undefined))).toMatchObject({ status: 201, provider: 'stripe@us' }); // region: default us
    expect(calls['stripe@eu']![0]).toMatchObject({ method: 'POST', path: '/v1/charges', body: { amount: 100, currency: 'eur' } });
    expect(await series(router, 'routing_decisions_total{route="/v1/charges",provider="stripe@eu",reason="cheapest_healthy"}')).toBe(1);
    expect(await series(router, 'routing_decisions_total{route="/v1/charges",provider="stripe@us",reason="cheapest_healthy"}')).toBe(2);
    expect(await series(router, 'provider_cost_total{provider="stripe@eu",currency="eur"}')).toBeCloseTo(2.4);
    expect(await series(router, 'provider_cost_total{provider="stripe@us",currency="usd"}')).toBeCloseTo(4.8);
    expect(await series(router, 'routing_decisions_total{route="/v1/charges",provider="none",reason="no_compliant_provider"}')).toBe(0);
  });

  it('fails over by cost: the cheaper secondary first, the dear, dependable provider last', async () => {
    const { send, mode, router, called, reset } = setup(config, KEYS);
    mode['stripe@us'] = '503';
    expect(await send(charge('us'))).toMatchObject({ status: 201, provider: 'adyen@us' });
    expect(called()).toEqual(['stripe@us', 'adyen@us']);
    reset();
    mode['adyen@us'] = 'reset';
    expect(await send(charge('us', 200))).toMatchObject({ status: 201, provider: 'braintree@us' });
    expect(called()).toEqual(['stripe@us', 'adyen@us', 'braintree@us']);
    expect(await series(router, 'failover_invocations_total{from="stripe@us",to="adyen@us",reason="5xx"}')).toBe(2);
    expect(await series(router, 'failover_invocations_total{from="adyen@us",to="braintree@us",reason="network"}')).toBe(1);
    // Cost impact: adyen 2.6 % of 100, 0.2 above stripe; braintree 2.9 % of 200, 1.0 above.
    expect(await series(router, 'provider_cost_total{provider="adyen@us",currency="usd"}')).toBeCloseTo(2.6);
    expect(await series(router, 'provider_cost_extra_total{provider="adyen@us",currency="usd"}')).toBeCloseTo(0.2);
    expect(await series(router, 'provider_cost_total{provider="braintree@us",currency="usd"}')).toBeCloseTo(5.8);
    expect(await series(router, 'provider_cost_extra_total{provider="braintree@us",currency="usd"}')).toBeCloseTo(1.0);
  });

  it('moves EU payments to Adyen when stripe@eu fails, while US payments stay on Stripe', async () => {
    const { send, mode, router, calls, clock, reset } = setup(config, KEYS);
    mode['stripe@eu'] = '503';
    for (let i = 0; i < 10; i++) {
      expect(await send(charge('eu'))).toMatchObject({ status: 201, provider: 'adyen@eu' });
      expect(await send(charge('us'))).toMatchObject({ status: 201, provider: 'stripe@us' });
      clock.advance(100);
    }
    expect(router.breakers.get('stripe@eu')!.state().kind).toBe('open');
    expect(router.breakers.get('stripe@us')!.state().kind).toBe('closed');
    reset();
    // Open: the selector leads with adyen@eu before any call; stripe@eu is not tried at all.
    expect(await send(charge('eu'))).toMatchObject({ status: 201, provider: 'adyen@eu' });
    expect(calls['stripe@eu']).toHaveLength(0);
    expect(await series(router, 'routing_decisions_total{route="/v1/charges",provider="adyen@eu",reason="cheapest_healthy"}')).toBe(1);
    expect(await series(router, 'failover_invocations_total{from="stripe@eu",to="adyen@eu",reason="breaker_open"}')).toBe(1);
    // After the open wait, stripe@eu leads again and is probed; good probes close it.
    mode['stripe@eu'] = 'ok';
    clock.advance(5_000);
    expect(await send(charge('eu'))).toMatchObject({ status: 201, provider: 'stripe@eu' });
    expect(await send(charge('eu'))).toMatchObject({ status: 201, provider: 'stripe@eu' });
    expect(router.breakers.get('stripe@eu')!.state().kind).toBe('closed');
  });

  it('never sends an EU payment outside the EU: with every EU endpoint down it answers 503, and a region it does not know gets none', async () => {
    const { send, mode, router, called, clock } = setup(config, KEYS);
    mode['stripe@eu'] = 'reset';
    mode['adyen@eu'] = '500';
    const first = await send(charge('eu'));
    expect(first.status).toBe(502);
    expect(called()).toEqual(['stripe@eu', 'adyen@eu']);
    for (let i = 0; i < 12; i++) {
      await send(charge('eu'));
      clock.advance(50);
    }
    expect(called()).toEqual(['stripe@eu', 'adyen@eu']);
    const open = await send(charge('eu'));
    expect(open.status).toBe(503);
    expect(open.json()).toMatchObject({ error: 'circuit_open' });
    expect(open.headers['retry-after']).toBeDefined();
    expect(called()).toEqual(['stripe@eu', 'adyen@eu']);

    const unknown = await send(charge('apac'));
    expect(unknown.status).toBe(503);
    expect(unknown.json()).toMatchObject({ error: 'no_compliant_provider', region: 'apac' });
    expect(unknown.headers['retry-after']).toBeUndefined();
    expect(called()).toEqual(['stripe@eu', 'adyen@eu']);
    expect(await series(router, 'routing_decisions_total{route="/v1/charges",provider="none",reason="no_compliant_provider"}')).toBe(1);
    // Rejected without a call: every request once both breakers were open, and the unknown region.
    expect(await series(router, 'router_request_duration_seconds_count{route="/v1/charges",provider="none",outcome="rejected"}')).toBeGreaterThanOrEqual(2);
  });

  it('property: under any fault pattern, EU payments reach only EU endpoints and US payments only US ones', async () => {
    const modes: Mode[] = ['ok', '500', '503', 'reset'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            region: fc.constantFrom('eu', 'us'),
            faults: fc.tuple(...KEYS.map(() => fc.constantFrom(...modes))),
            advance: fc.integer({ min: 0, max: 3_000 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (steps) => {
          const { send, mode, calls, reset, clock } = setup(config, KEYS);
          for (const step of steps) {
            KEYS.forEach((k, i) => (mode[k] = step.faults[i]!));
            reset();
            const res = await send(charge(step.region));
            for (const k of KEYS) if (calls[k]!.length > 0) expect(k.endsWith(`@${step.region}`)).toBe(true);
            if (res.status === 201) expect(res.provider).toMatch(new RegExp(`@${step.region}$`));
            clock.advance(step.advance);
          }
        },
      ),
      { numRuns: 60, seed: 4 },
    );
  });
});

describe('select: skipping the unavailable, and fallback tiers under compliance', () => {
  const config = (() => {
    const r = parseRouterConfig(`
name: skip
providers:
  p: { regions: { eu: { url: http://x.test }, us: { url: http://x.test } } }
routes:
  - match: /pay
    upstreams: [p@eu, p@us]
    breaker: { failureRate: 50%, window: 2, minimumCalls: 2, openFor: 10s }
    select: { by: order, region: { default: eu }, compliance: { eu: [p@eu] }, unlisted: deny, unhealthy: skip }
  - match: /quote
    upstreams: [p@eu, p@us]
    select: { by: order, compliance: { eu: [p@eu], us: [p@us] }, unlisted: deny }
    fallback:
      tiers:
        - { tier: upstreams }
        - { tier: upstreams, upstreams: [p@us], name: us-only }
        - { tier: static, json: { quote: null } }
`);
    if (!r.ok) throw new Error(formatIssues(r.issues));
    return r.value;
  })();

  it('answers 503 no_available_provider, with Retry-After from the breaker, when every allowed provider is skipped', async () => {
    const { send, mode, called, router } = setup(config, ['p@eu', 'p@us']);
    mode['p@eu'] = '503';
    expect((await send({ path: '/pay' })).status).toBe(502);
    expect((await send({ path: '/pay' })).status).toBe(502);
    const res = await send({ path: '/pay' });
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: 'no_available_provider', region: 'eu' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(9);
    expect(called()).toEqual(['p@eu']);
    expect(await series(router, 'routing_decisions_total{route="/pay",provider="none",reason="no_available_provider"}')).toBe(1);
  });

  it('filters a fallback tier that names its own upstreams by the same compliance, and falls through to a local tier', async () => {
    const { send, mode, called } = setup(config, ['p@eu', 'p@us']);
    mode['p@eu'] = '503';
    const eu = await send({ path: '/quote', headers: { 'x-region': 'eu' } });
    expect(eu.status).toBe(200);
    expect(eu.headers['x-faultline-fallback']).toBe('static');
    const unknown = await send({ path: '/quote', headers: { 'x-region': 'apac' } });
    expect(unknown.json()).toEqual({ quote: null });
    expect(called()).toEqual(['p@eu']);
    expect((await send({ path: '/quote', headers: { 'x-region': 'us' } })).provider).toBe('p@us');
  });
});

// ---------------------------------------------------------------------------------------

describe('canary in the router (fixtures/routers/canary.yaml)', () => {
  const KEYS = ['model-v1', 'model-v2'] as const;
  let config: RouterConfig;
  beforeAll(async () => {
    config = await load('canary');
  });
  const ask = (client: string) => ({ method: 'POST', path: '/v1/chat/completions', headers: { 'x-client-id': client, 'content-type': 'application/json' }, json: { messages: [{ role: 'user', content: 'hi' }] } });
  const clients = Array.from({ length: 40 }, (_, i) => `client-${i + 1}`);

  it('keeps each client on one arm: the same clients reach model-v2 every time', async () => {
    const { send, router } = setup(config, KEYS);
    const arms = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (const c of clients) {
        const res = await send(ask(c));
        expect(res.status).toBe(201);
        expect(res.provider).toBe(res.headers[ARM_HEADER] === 'canary' ? 'model-v2' : 'model-v1');
        if (round === 0) arms.set(c, res.headers[ARM_HEADER] as string);
        else expect(res.headers[ARM_HEADER]).toBe(arms.get(c));
      }
    }
    // seed 7, 10 %: as the config's comment says.
    expect([...arms].filter(([, a]) => a === 'canary').map(([c]) => c)).toEqual(['client-13', 'client-15', 'client-40']);
    expect(await series(router, 'canary_state{route="/v1/chat/completions"}')).toBe(0);
    expect(await series(router, 'canary_requests_total{route="/v1/chat/completions",arm="canary",outcome="success"}')).toBe(9);
    expect(await series(router, 'canary_requests_total{route="/v1/chat/completions",arm="baseline",outcome="success"}')).toBe(111);
    expect(await series(router, 'canary_requests_total{route="/v1/chat/completions",arm="canary",outcome="error"}')).toBe(0);
  });

  it('rolls back when the canary breaches its SLO: after that, no client reaches model-v2', async () => {
    const { send, router, mode, calls, reset } = setup(config, KEYS);
    // 20 good canary calls (minSamples), then model-v2 starts failing.
    for (let i = 0; i < 20; i++) expect((await send(ask('client-13'))).provider).toBe('model-v2');
    mode['model-v2'] = '503';
    const failed = await send(ask('client-13'));
    expect(failed.status).toBe(502);
    // 1 error in 21 calls is under 5 %; the second breaches it (2/22 > 5 %).
    expect(router.policies.canaries.get('/v1/chat/completions')!.state().kind).toBe('canary');
    await send(ask('client-15'));
    expect(router.policies.canaries.get('/v1/chat/completions')!.state()).toMatchObject({ kind: 'rolled-back' });
    expect(await series(router, 'canary_state{route="/v1/chat/completions"}')).toBe(1);
    expect(await series(router, 'canary_requests_total{route="/v1/chat/completions",arm="canary",outcome="error"}')).toBe(2);

    reset();
    for (const c of clients) {
      const res = await send(ask(c));
      expect(res).toMatchObject({ status: 201, provider: 'model-v1' });
      expect(res.headers[ARM_HEADER]).toBe('baseline');
    }
    expect(calls['model-v2']).toHaveLength(0);
  });

  it('keeps a canary to its regions, reading the client region from x-region (gateway checkout)', async () => {
    const gateway = await load('gateway');
    const { send, calls } = setup(gateway, ['users@eu', 'users@us', 'products', 'orders', 'checkout', 'checkout-v2']);
    const checkout = (client: string, region: string) => ({ path: '/api/checkout/cart', headers: { 'x-client-id': client, 'x-region': region, 'x-forwarded-for': `198.51.100.${client.slice(7)}` } });
    expect((await send(checkout('client-13', 'us-east'))).provider).toBe('checkout-v2');
    expect((await send(checkout('client-13', 'eu'))).provider).toBe('checkout'); // same client, outside us-east
    expect((await send(checkout('client-14', 'us-east'))).provider).toBe('checkout');
    expect(calls['checkout-v2']).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------

describe('JWT on a route (fixtures/routers/gateway.yaml, /api/orders/**)', () => {
  const KEYS = ['users@eu', 'users@us', 'products', 'orders', 'checkout', 'checkout-v2'] as const;
  const NOW_S = 1_700_000_000;
  let config: RouterConfig;
  let privatePem: string;
  let publicPem: string;
  beforeAll(async () => {
    config = await load('gateway');
    privatePem = await readFile(keyFile('gateway-rs256.TEST-ONLY.private.pem'), 'utf8');
    publicPem = await readFile(keyFile('gateway-rs256.public.pem'), 'utf8');
  });
  const claims = (extra: JWTPayload = {}): JWTPayload => ({ iss: 'https://id.faultline.test', aud: 'gateway', sub: 'user-1', iat: NOW_S, exp: NOW_S + 300, ...extra });
  const rs256 = async (c: JWTPayload, kid = 'gateway-1') => new SignJWT(c).setProtectedHeader({ alg: 'RS256', kid }).sign(await importPKCS8(privatePem, 'RS256'));
  const orders = (token?: string) => ({ path: '/api/orders/42', headers: { 'x-forwarded-for': '203.0.113.5', ...(token !== undefined && { authorization: `Bearer ${token}` }) } });

  it('lets a valid token through to the order service', async () => {
    const { send, calls, router } = setup(config, KEYS);
    const res = await send(orders(await rs256(claims())));
    expect(res).toMatchObject({ status: 200, provider: 'orders' });
    expect(calls['orders']).toHaveLength(1);
    const fixtureToken = JSON.parse(await readFile(keyFile('gateway-tokens.TEST-ONLY.json'), 'utf8')) as Record<string, string>;
    expect(await send(orders(fixtureToken['valid']))).toMatchObject({ status: 200, provider: 'orders' });
    expect(await series(router, 'auth_rejections_total{route="/api/orders/**",reason="expired"}')).toBe(0);
  });

  it('refuses alg none, expired tokens, bad signatures and algorithm confusion with 401 and no upstream call', async () => {
    const { send, calls, router } = setup(config, KEYS);
    const other = await importPKCS8(
      await (async () => {
        const { generateKeyPair, exportPKCS8 } = await import('jose');
        return exportPKCS8((await generateKeyPair('RS256', { extractable: true })).privateKey);
      })(),
      'RS256',
    );
    const cases: Array<[string, string | undefined, string]> = [
      ['no token', undefined, 'missing_token'],
      ['alg none', new UnsecuredJWT(claims()).encode(), 'alg_not_allowed'],
      ['expired', await rs256(claims({ iat: NOW_S - 3_600, exp: NOW_S - 60 })), 'expired'],
      ['bad signature', await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'gateway-1' }).sign(other), 'bad_signature'],
      // Algorithm confusion: HS256 with the server's public key as the HMAC secret.
      ['algorithm confusion', await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'gateway-1' }).sign(new TextEncoder().encode(publicPem)), 'alg_not_allowed'],
      ['wrong audience', await rs256(claims({ aud: 'billing' })), 'wrong_audience'],
      ['garbage', 'not.a.jwt', 'malformed'],
    ];
    for (const [name, token, reason] of cases) {
      const res = await send(orders(token));
      expect(res.status, name).toBe(401);
      expect(res.json(), name).toMatchObject({ error: reason, route: '/api/orders/**' });
      expect(res.headers['www-authenticate'], name).toMatch(/^Bearer realm="faultline"/);
      if (token !== undefined) expect(res.headers['www-authenticate'], name).toContain('error="invalid_token"');
    }
    expect(calls['orders']).toHaveLength(0);
    expect(await series(router, 'auth_rejections_total{route="/api/orders/**",reason="alg_not_allowed"}')).toBe(2);
    expect(await series(router, 'auth_rejections_total{route="/api/orders/**",reason="expired"}')).toBe(1);
    expect(await series(router, 'router_request_duration_seconds_count{route="/api/orders/**",provider="none",outcome="unauthorized"}')).toBe(cases.length);
    // Other routes are open.
    expect((await send({ path: '/api/products/7', headers: { 'x-forwarded-for': '203.0.113.5' } })).status).toBe(200);
  });

  it('answers fast from the fallback once the slow order service has opened its breaker', async () => {
    const { send, mode, calls, router, reset } = setup(config, KEYS);
    const token = await rs256(claims({ exp: NOW_S + 3_600 }));
    expect((await send(orders(token))).status).toBe(200); // a good answer, remembered for the cache tier
    mode['orders'] = 'hang';
    for (let i = 0; i < 10; i++) {
      const res = await send(orders(token));
      expect(res.status).toBe(200); // the cache tier, at the 400 ms deadline
    }
    expect(router.breakers.get('orders')!.state().kind).toBe('open');
    reset();
    const fast = await send(orders(token));
    expect(fast.status).toBe(200);
    expect(fast.headers['x-faultline-fallback']).toBe('cache');
    expect(calls['orders']).toHaveLength(0);
  });

  it('keeps EU users on the EU user service and counts clients by X-Forwarded-For from the trusted loopback', async () => {
    const { send, mode, called, reset } = setup(config, KEYS);
    expect((await send({ path: '/api/users/1', headers: { 'x-region': 'eu', 'x-forwarded-for': '203.0.113.1' } })).provider).toBe('users@eu');
    expect((await send({ path: '/api/users/1', headers: { 'x-region': 'us-east', 'x-forwarded-for': '203.0.113.1' } })).provider).toBe('users@us');
    reset();
    mode['users@eu'] = '503';
    const eu = await send({ path: '/api/users/1', headers: { 'x-region': 'eu', 'x-forwarded-for': '203.0.113.2' } });
    expect(eu.status).toBe(502);
    expect(called()).toEqual(['users@eu']);
    // 100 a minute per client: the 101st from one address is refused, another address is not.
    for (let i = 0; i < 98; i++) expect((await send({ path: '/api/products/1', headers: { 'x-forwarded-for': '203.0.113.1' } })).status).toBe(200);
    expect((await send({ path: '/api/products/1', headers: { 'x-forwarded-for': '203.0.113.1' } })).status).toBe(429);
    expect((await send({ path: '/api/products/1', headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
    // From an untrusted peer the header is ignored: the peer is the client.
    expect((await send({ path: '/api/products/1', remoteAddress: '198.51.100.7', headers: { 'x-forwarded-for': '203.0.113.1' } })).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------

describe('LLM routing (fixtures/routers/llm.yaml, fixtures/routing/llm-registry.yaml)', () => {
  const KEYS = ['openai', 'anthropic'] as const;
  let config: RouterConfig;
  beforeAll(async () => {
    config = await load('llm');
  });
  const chat = (content: string, extra: Record<string, unknown> = {}) => ({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    json: { model: 'auto', messages: [{ role: 'user', content }], ...extra },
  });

  it('sends simple requests to the cheap model and complex ones to the strong model, rewriting `model`', async () => {
    const { send, calls, router } = setup(config, KEYS);
    const simple = await send(chat('What is the capital of France?'));
    expect(simple).toMatchObject({ status: 201, provider: 'openai' });
    expect(simple.headers[MODEL_HEADER]).toBe('gpt-mini');
    expect(calls['openai']![0]!.body).toMatchObject({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the capital of France?' }] });

    const complex = await send(chat('Prove that there are infinitely many primes, step by step.'));
    expect(complex.headers[MODEL_HEADER]).toBe('gpt-large');
    expect(calls['openai']![1]!.body).toMatchObject({ model: 'gpt-4o' });
    const hinted = await send(chat('hello', { complexity: 'complex' }));
    expect(hinted.headers[MODEL_HEADER]).toBe('gpt-large');

    expect(await series(router, 'llm_requests_total{route="/v1/chat/completions",class="simple",model="gpt-mini"}')).toBe(1);
    expect(await series(router, 'llm_requests_total{route="/v1/chat/completions",class="complex",model="gpt-large"}')).toBe(2);
    expect(await series(router, 'llm_requests_total{route="/v1/chat/completions",class="complex",model="claude-sonnet"}')).toBe(0);
    expect(await series(router, 'routing_decisions_total{route="/v1/chat/completions",provider="openai",reason="reasoning-keywords"}')).toBe(1);
    expect(await series(router, 'routing_decisions_total{route="/v1/chat/completions",provider="openai",reason="default"}')).toBe(1);
    // usage 1000 + 1000 tokens: gpt-4o-mini 0.00015 + 0.0006; gpt-4o twice 0.0025 + 0.01.
    expect(await series(router, 'provider_cost_total{provider="openai",currency="usd"}')).toBeCloseTo(0.00075 + 2 * 0.0125, 8);
  });

  it('fails over to the other provider during an outage, to the same tier: never a weaker model for complex requests', async () => {
    const { send, mode, calls, router, clock, reset } = setup(config, KEYS);
    mode['openai'] = 'reset';
    const simple = await send(chat('hi there'));
    expect(simple).toMatchObject({ status: 201, provider: 'anthropic' });
    expect(simple.headers[MODEL_HEADER]).toBe('claude-haiku');
    expect(calls['anthropic']![0]!.body).toMatchObject({ model: 'claude-3-5-haiku-latest' });
    const complex = await send(chat('please debug this function'));
    expect(complex.headers[MODEL_HEADER]).toBe('claude-sonnet');
    expect(await series(router, 'failover_invocations_total{from="openai",to="anthropic",reason="network"}')).toBe(2);

    // The outage goes on: openai's breaker opens, and the plan leads with anthropic before any call.
    for (let i = 0; i < 12; i++) {
      expect((await send(chat(`question ${i}`))).provider).toBe('anthropic');
      clock.advance(100);
    }
    expect(router.breakers.get('openai')!.state().kind).toBe('open');
    reset();
    const planned = await send(chat('one more'));
    expect(planned.headers[MODEL_HEADER]).toBe('claude-haiku');
    expect(calls['openai']).toHaveLength(0);
    expect(await series(router, 'failover_invocations_total{from="openai",to="anthropic",reason="breaker_open"}')).toBeGreaterThanOrEqual(1);
    expect(await series(router, 'routing_decisions_total{route="/v1/chat/completions",provider="anthropic",reason="default"}')).toBeGreaterThanOrEqual(1);
    // Claude Haiku costs more than GPT-4o mini: the extra is what the outage cost.
    expect(await series(router, 'provider_cost_extra_total{provider="anthropic",currency="usd"}')).toBeGreaterThan(0);

    // Both providers down: 502 once each was tried; with both breakers open, 503.
    mode['anthropic'] = '503';
    for (let i = 0; i < 12; i++) {
      await send(chat(`still ${i}`));
      clock.advance(100);
    }
    const none = await send(chat('anyone?'));
    expect(none.status).toBe(503);
  });
});

// ---------------------------------------------------------------------------------------

describe('routing config', () => {
  const PROVIDERS = `
providers:
  a: { url: http://a.test }
  b: { url: http://b.test }
  c: { regions: { eu: { url: http://c-eu.test }, us: { url: http://c-us.test } } }
`;
  const issues = (text: string) => {
    const r = parseRouterConfig(text, fixture('inline'));
    return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
  };

  it('refuses llm with select or a canary on one route, and an LLM chain reaching a provider the route does not list', () => {
    const found = issues(`
name: x
${PROVIDERS}
routes:
  - match: /chat
    upstreams: [a]
    select: { by: order }
    canary: { upstreams: [b], weight: 10%, window: 10s, minSamples: 5, rollback: { errorRate: 5% } }
    llm: { registry: ../routing/llm-registry.yaml }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^routes\[0\]\.llm: `llm` and `select` are alternatives/),
        expect.stringMatching(/^routes\[0\]\.canary: a canary does not mix with `llm`/),
        'models["gpt-mini"].provider: unknown provider "openai"', // in the registry file, at its line
      ]),
    );
  });

  it('gives a canary upstream the route breaker, and compiles every routing fragment', async () => {
    const r = parseRouterConfig(
      `
name: x
${PROVIDERS}
routes:
  - match: /pay
    upstreams: [c@eu, c@us, a]
    breaker: { failureRate: 50%, window: 10, openFor: 5s }
    select:
      fees: { c: 2%, a: 3%, b: 4% }
      compliance: { eu: ["*@eu"] }
      degradedAt: 20%
    canary: { upstreams: [b], weight: 10%, window: 10s, minSamples: 5, rollback: { errorRate: 5% } }
`,
      fixture('inline'),
    );
    if (!r.ok) throw new Error(formatIssues(r.issues));
    expect(r.value.providers.find((p) => p.key === 'b')!.breaker).toMatchObject({ failureRate: 0.5, window: 10 });
    expect(r.value.routes[0]).toMatchObject({ select: { by: 'cost', degradedAt: 0.2, unhealthy: 'last' }, canary: { upstreams: ['b'], options: { weight: 0.1 } } });
  });

  it('reports unreadable and unsafe keys at their fields', () => {
    const found = issues(`
name: x
${PROVIDERS}
routes:
  - match: /a
    upstreams: [a]
    auth: { jwt: { algorithms: [RS256], publicKeys: [{ file: ../keys/missing.pem, alg: RS256 }] } }
  - match: /b
    upstreams: [a]
    auth: { jwt: { algorithms: [RS256], publicKeys: [{ file: ../keys/gateway-rs256.TEST-ONLY.private.pem, alg: RS256 }] } }
  - match: /c
    upstreams: [a]
    auth: { jwt: { algorithms: [ES256], publicKeys: [{ file: ../keys/gateway-rs256.public.pem, alg: ES256 }] } }
`);
    expect(found).toEqual([
      'routes[0].auth.jwt.publicKeys: cannot read ../keys/missing.pem: ENOENT',
      'routes[1].auth.jwt.publicKeys[0].file: this is a private key; a verifier needs the public key only (keep private keys out of the router)',
      'routes[2].auth.jwt.publicKeys[0].file: not an SPKI public key for ES256: a RSA key',
    ]);
  });
});

describe('routing metrics', () => {
  it('are exposed, with the series whose zero means something', async () => {
    const all = await Promise.all(['payments', 'gateway', 'llm', 'canary'].map(load));
    const texts = await Promise.all(all.map((c) => setup(c, []).router.metrics.text()));
    const text = texts.join('\n');
    for (const name of [
      'routing_decisions_total',
      'provider_cost_total',
      'provider_cost_extra_total',
      'canary_state',
      'canary_requests_total',
      'auth_rejections_total',
      'llm_requests_total',
      'failover_invocations_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('routing_decisions_total{route="/v1/charges",provider="none",reason="no_compliant_provider"} 0');
    expect(text).toContain('canary_state{route="/api/checkout/**"} 0');
    expect(text).toContain('canary_requests_total{route="/v1/chat/completions",arm="canary",outcome="error"} 0');
    expect(text).toContain('auth_rejections_total{route="/api/orders/**",reason="bad_signature"} 0');
    expect(text).toContain('llm_requests_total{route="/v1/chat/completions",class="simple",model="claude-haiku"} 0');
  });
});

// ---------------------------------------------------------------------------------------

describe('routing in the live router (loopback sockets, real clock)', () => {
  /** One node:http provider per key on an ephemeral port, answering who it is; closed after the test. */
  async function providers(keys: readonly string[]) {
    const calls: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
    const urls: Record<string, string> = {};
    for (const key of keys) {
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          calls[key]!++;
          res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ provider: key }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanup.push(async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });
      urls[key] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    return { calls, urls };
  }

  it('gateway: JWT, sticky canary by client and region, EU users on the EU backend, per-client limits by X-Forwarded-For', async () => {
    const keys = ['users@eu', 'users@us', 'products', 'orders', 'checkout', 'checkout-v2'];
    const p = await providers(keys);
    const r = await startRouter({ config: await load('gateway'), upstreams: p.urls });
    cleanup.push(() => r.close());
    const tokens = JSON.parse(await readFile(keyFile('gateway-tokens.TEST-ONLY.json'), 'utf8')) as Record<string, string>;
    const get = (path: string, headers: Record<string, string>) => fetch(`${r.url}${path}`, { headers: { 'x-forwarded-for': '203.0.113.20', ...headers } });

    const ok = await get('/api/orders/1', { authorization: `Bearer ${tokens['valid']}` });
    expect([ok.status, ok.headers.get(PROVIDER_HEADER)]).toEqual([200, 'orders']);
    for (const bad of ['expired', 'algNone', 'badSignature']) {
      const res = await get('/api/orders/1', { authorization: `Bearer ${tokens[bad]}` });
      expect(res.status, bad).toBe(401);
      expect(res.headers.get('www-authenticate'), bad).toContain('error="invalid_token"');
    }
    expect(p.calls['orders']).toBe(1);

    for (let i = 0; i < 3; i++) {
      const canary = await get('/api/checkout/cart', { 'x-client-id': 'client-13', 'x-region': 'us-east' });
      expect([canary.headers.get(PROVIDER_HEADER), canary.headers.get(ARM_HEADER)]).toEqual(['checkout-v2', 'canary']);
      const baseline = await get('/api/checkout/cart', { 'x-client-id': 'client-12', 'x-region': 'us-east' });
      expect(baseline.headers.get(PROVIDER_HEADER)).toBe('checkout');
    }
    expect((await get('/api/users/7', { 'x-region': 'eu' })).headers.get(PROVIDER_HEADER)).toBe('users@eu');
    expect((await get('/api/users/7', { 'x-region': 'us-west' })).headers.get(PROVIDER_HEADER)).toBe('users@us');

    // The load driver's X-Forwarded-For from the trusted loopback names the client: 100 a minute each.
    let limited = 0;
    for (let i = 0; i < 100; i++) if ((await get('/api/products/1', { 'x-forwarded-for': '203.0.113.77' })).status === 429) limited++;
    expect(limited).toBe(0);
    const over = await get('/api/products/1', { 'x-forwarded-for': '203.0.113.77' });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBeDefined();
    expect((await get('/api/products/1', { 'x-forwarded-for': '203.0.113.78' })).status).toBe(200);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toContain('auth_rejections_total{route="/api/orders/**",reason="expired"} 1');
    expect(metrics).toContain('canary_requests_total{route="/api/checkout/**",arm="canary",outcome="success"} 3');
  });

  it('payments: an EU charge goes to the cheapest EU endpoint with its body, and its fee is counted in its currency', async () => {
    const keys = ['stripe@eu', 'adyen@eu', 'stripe@us', 'adyen@us', 'braintree@us'];
    const p = await providers(keys);
    const r = await startRouter({ config: await load('payments'), upstreams: p.urls });
    cleanup.push(() => r.close());
    const res = await fetch(`${r.url}/v1/charges`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-region': 'eu' }, body: JSON.stringify({ amount: 50, currency: 'EUR' }) });
    expect([res.status, res.headers.get(PROVIDER_HEADER)]).toEqual([201, 'stripe@eu']);
    expect(p.calls).toEqual({ 'stripe@eu': 1, 'adyen@eu': 0, 'stripe@us': 0, 'adyen@us': 0, 'braintree@us': 0 });
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toContain('provider_cost_total{provider="stripe@eu",currency="eur"} 1.2');
  });
});
