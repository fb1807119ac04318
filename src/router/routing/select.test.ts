import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { CircuitBreaker, REJECTED } from '../policies/breaker.ts';
import { AllTargetsFailedError, FailoverPolicy, type FailoverTarget } from '../policies/failover.ts';
import { breakerHealth, costImpact, healthFromBreakers, ProviderSelector, requestAttributes, type Candidate, type Health, type SelectOptions } from './select.ts';

// The payments case: Stripe (2.9 % + 0.30), Adyen (2.6 %), Braintree (3.4 %, the dependable last resort).
const payments: Candidate[] = [
  { key: 'stripe@eu', fee: { rate: 0.029, fixed: 0.3 } },
  { key: 'stripe@us', fee: { rate: 0.029, fixed: 0.3 } },
  { key: 'adyen@eu', fee: { rate: 0.026 } },
  { key: 'adyen@us', fee: { rate: 0.026 } },
  { key: 'braintree@us', fee: { rate: 0.034 }, lastResort: true },
];
const options: SelectOptions = { candidates: payments, compliance: { allow: { eu: ['*@eu'] }, unlisted: 'any' }, unhealthy: 'last' };
const healthy = (): Health => 'healthy';
const down =
  (...keys: string[]) =>
  (key: string): Health =>
    keys.includes(key) ? 'unavailable' : 'healthy';
const keys = (s: { order: Array<{ key: string }> }) => s.order.map((r) => r.key);

describe('ProviderSelector: the doc example', () => {
  it('does what select.ts says it does', () => {
    const selector = new ProviderSelector({
      candidates: [
        { key: 'stripe@eu', fee: { rate: 0.029, fixed: 0.3 } },
        { key: 'adyen@eu', fee: { rate: 0.026 } },
        { key: 'stripe@us', fee: { rate: 0.029, fixed: 0.3 } },
        { key: 'braintree@us', fee: { rate: 0.034 }, lastResort: true },
      ],
      compliance: { allow: { eu: ['*@eu'] }, unlisted: 'any' },
      unhealthy: 'last',
    });
    const s = selector.select({ region: 'eu', amount: 100 }, (key) => (key === 'adyen@eu' ? 'unavailable' : 'healthy'));
    expect(keys(s)).toEqual(['stripe@eu', 'adyen@eu']);
    expect(s.reason).toBe('cheapest_healthy');
    expect(s.passedOver).toEqual({ from: 'adyen@eu', to: 'stripe@eu', reason: 'unavailable' });
    const impact = costImpact(s, 'stripe@eu')!;
    expect(impact.cost).toBeCloseTo(3.2);
    expect(impact.extra).toBeCloseTo(0.6);
  });
});

describe('ProviderSelector: compliance', () => {
  it('sends an EU request only to EU endpoints, whatever is down', () => {
    const s = new ProviderSelector(options);
    expect(keys(s.select({ region: 'eu', amount: 100 }, healthy))).toEqual(['adyen@eu', 'stripe@eu']);
    const outage = s.select({ region: 'eu', amount: 100 }, down('adyen@eu', 'stripe@eu'));
    expect(keys(outage)).toEqual(['adyen@eu', 'stripe@eu']); // both unavailable, kept last for their breakers; no US endpoint
    expect(outage.excluded).toEqual(expect.arrayContaining([{ key: 'braintree@us', reason: 'compliance' }]));
  });

  it('answers with no provider, and says why, when every allowed one is out (skip) or none is allowed', () => {
    const skip = new ProviderSelector({ ...options, unhealthy: 'skip' });
    const s = skip.select({ region: 'eu' }, down('adyen@eu', 'stripe@eu'));
    expect(s.order).toEqual([]);
    expect(s.provider).toBe('none');
    expect(s.reason).toBe('no_available_provider');

    const strict = new ProviderSelector({ ...options, compliance: { allow: { eu: ['*@eu'], ch: ['*@ch'] }, unlisted: 'deny' } });
    expect(strict.select({ region: 'ch' }, healthy)).toMatchObject({ order: [], reason: 'no_compliant_provider' });
    expect(strict.select({ region: undefined }, healthy)).toMatchObject({ order: [], reason: 'no_compliant_provider' });
    expect(strict.select({ region: 'mars' }, healthy).reason).toBe('no_compliant_provider');
  });

  it('lets an unlisted region use every provider when unlisted is any', () => {
    const s = new ProviderSelector(options).select({ region: 'us', amount: 100 }, healthy);
    expect(keys(s)).toEqual(['adyen@eu', 'adyen@us', 'stripe@eu', 'stripe@us', 'braintree@us']);
  });

  it('matches name, name@region, *@region, name@* and * patterns', () => {
    const s = new ProviderSelector({
      candidates: payments,
      compliance: { allow: { a: ['stripe'], b: ['stripe@*', 'adyen@us'], c: ['*'], d: ['braintree@us'] }, unlisted: 'deny' },
      unhealthy: 'last',
    });
    expect(payments.filter((c) => s.allowed('a', c.key)).map((c) => c.key)).toEqual(['stripe@eu', 'stripe@us']);
    expect(payments.filter((c) => s.allowed('b', c.key)).map((c) => c.key)).toEqual(['stripe@eu', 'stripe@us', 'adyen@us']);
    expect(payments.filter((c) => s.allowed('c', c.key))).toHaveLength(5);
    expect(payments.filter((c) => s.allowed('d', c.key)).map((c) => c.key)).toEqual(['braintree@us']);
  });
});

describe('ProviderSelector: cost-aware failover', () => {
  it('puts the cheapest healthy provider first and the last resort last', () => {
    const us = new ProviderSelector({ ...options, compliance: { allow: { us: ['*@us'] }, unlisted: 'deny' } });
    const s = us.select({ region: 'us', amount: 100 }, healthy);
    expect(keys(s)).toEqual(['adyen@us', 'stripe@us', 'braintree@us']);
    expect(s.order.map((r) => r.placement)).toEqual(['cheapest_healthy', 'cheapest_healthy', 'last_resort']);
    expect(s.reason).toBe('cheapest_healthy');
    expect(s.passedOver).toBeUndefined();
  });

  it('weighs the fixed part of a fee by the amount: on a small payment the percentage-only provider is not always cheaper', () => {
    const s = new ProviderSelector({
      candidates: [
        { key: 'a', fee: { rate: 0.02, fixed: 0.5 } },
        { key: 'b', fee: { rate: 0.03 } },
      ],
      unhealthy: 'last',
    });
    expect(keys(s.select({ amount: 10 }, healthy))).toEqual(['b', 'a']); // 0.30 vs 0.70
    expect(keys(s.select({ amount: 1000 }, healthy))).toEqual(['a', 'b']); // 20.50 vs 30
    expect(keys(s.select({}, healthy))).toEqual(['a', 'b']); // unknown amount: by rate
  });

  it('orders healthy, then degraded, then the last resort, then the unavailable; skip drops the unavailable', () => {
    const health = (k: string): Health => (k === 'adyen@us' ? 'unavailable' : k === 'stripe@eu' ? 'degraded' : 'healthy');
    const s = new ProviderSelector(options).select({ region: 'us', amount: 100 }, health);
    expect(s.order.map((r) => `${r.key}:${r.placement}`)).toEqual([
      'adyen@eu:cheapest_healthy',
      'stripe@us:cheapest_healthy',
      'stripe@eu:degraded',
      'braintree@us:last_resort',
      'adyen@us:unavailable',
    ]);
    const skipped = new ProviderSelector({ ...options, unhealthy: 'skip' }).select({ region: 'us', amount: 100 }, health);
    expect(keys(skipped)).toEqual(['adyen@eu', 'stripe@us', 'stripe@eu', 'braintree@us']);
    expect(skipped.excluded).toEqual([{ key: 'adyen@us', reason: 'unavailable' }]);
  });

  it('falls to the last resort when every cheaper provider is out, and records the failover and its cost', () => {
    const us = new ProviderSelector({ ...options, compliance: { allow: { us: ['*@us'] }, unlisted: 'deny' }, unhealthy: 'skip' });
    const s = us.select({ region: 'us', amount: 200, currency: 'usd' }, down('adyen@us', 'stripe@us'));
    expect(keys(s)).toEqual(['braintree@us']);
    expect(s.reason).toBe('last_resort');
    expect(s.passedOver).toEqual({ from: 'adyen@us', to: 'braintree@us', reason: 'unavailable' });
    const impact = costImpact(s, 'braintree@us')!;
    expect(impact.cost).toBeCloseTo(6.8); // 3.4 % of 200
    expect(impact.extra).toBeCloseTo(6.8 - 5.2); // vs Adyen's 2.6 %
    expect(s.currency).toBe('usd');
  });

  it('reports no cost without an amount', () => {
    const s = new ProviderSelector(options).select({ region: 'eu' }, healthy);
    expect(s.order[0]!.cost).toBeUndefined();
    expect(costImpact(s, 'adyen@eu')).toBeUndefined();
  });
});

describe('breakerHealth', () => {
  const opts = { failureRate: 0.5, window: 4, minimumCalls: 4, openFor: 1_000, halfOpen: { probes: 1, successesToClose: 1 } };
  const fail = (b: CircuitBreaker) => {
    const p = b.acquire();
    if (p !== REJECTED) b.failure(p);
  };

  it('reads open as unavailable, half-open with a free probe as healthy, closed as healthy or degraded', () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(opts, clock);
    expect(breakerHealth(b)).toBe('healthy');
    fail(b);
    expect(breakerHealth(b, 0.25)).toBe('degraded');
    expect(breakerHealth(b)).toBe('healthy');
    for (let i = 0; i < 3; i++) fail(b);
    expect(breakerHealth(b)).toBe('unavailable');
    clock.advance(1_000);
    expect(breakerHealth(b)).toBe('healthy'); // half-open: probe it at its cost rank
    const probe = b.acquire();
    expect(breakerHealth(b)).toBe('unavailable'); // its one probe slot is taken
    b.success(probe);
    expect(breakerHealth(b)).toBe('healthy');
  });

  it('works with any breaker of that shape, reading rates from metrics()', () => {
    const fake = (kind: 'closed' | 'open' | 'half-open', m = { calls: 0, failureRate: 0, slowCallRate: 0 }, permitted = true) => ({
      state: () => ({ kind }),
      isCallPermitted: () => permitted,
      metrics: () => m,
    });
    expect(breakerHealth(fake('closed', { calls: 4, failureRate: 0.5, slowCallRate: 0 }), 0.5)).toBe('degraded');
    expect(breakerHealth(fake('closed', { calls: 4, failureRate: 0.25, slowCallRate: 0.5 }), 0.5)).toBe('degraded'); // slow calls count too
    expect(breakerHealth(fake('closed', { calls: 4, failureRate: 0.25, slowCallRate: 0 }), 0.5)).toBe('healthy');
    expect(breakerHealth(fake('closed'), 0)).toBe('healthy');
    expect(breakerHealth(fake('half-open', undefined, false))).toBe('unavailable');
    const health = healthFromBreakers(new Map([['a', fake('open')]]));
    expect([health('a'), health('b')]).toEqual(['unavailable', 'healthy']);
  });

  it('reads a time-window breaker (counts in buckets, an empty window) and slow failures', () => {
    const clock = new FakeClock();
    const time = new CircuitBreaker(
      { failureRate: 0.9, windowType: 'time', window: 10_000, minimumCalls: 100, slowCall: { duration: 100, rate: 0.9 }, openFor: 1_000, halfOpen: { probes: 1, successesToClose: 1 } },
      clock,
    );
    for (let i = 0; i < 4; i++) {
      const p = time.acquire();
      if (i < 2) time.failure(p, 200); // slow failures
      else time.success(p);
    }
    const s = time.state();
    expect(s.kind === 'closed' && s.window).toEqual([]); // the raw window says nothing for a time window
    expect(breakerHealth(time, 0.5)).toBe('degraded');
    expect(breakerHealth(time, 0.75)).toBe('healthy');
    clock.advance(11_000); // the calls age out of the window
    expect(breakerHealth(time, 0.5)).toBe('healthy');
  });

  it('gives a recovering cheaper provider its traffic back: after its cool-down it leads again and is probed', async () => {
    const clock = new FakeClock();
    const stripe = new CircuitBreaker(opts, clock);
    for (let i = 0; i < 4; i++) fail(stripe);
    const selector = new ProviderSelector({
      candidates: [
        { key: 'stripe@eu', fee: { rate: 0.02 } },
        { key: 'adyen@eu', fee: { rate: 0.026 } },
      ],
      unhealthy: 'skip',
    });
    const health = (k: string) => (k === 'stripe@eu' ? breakerHealth(stripe) : 'healthy');
    expect(keys(selector.select({ region: 'eu' }, health))).toEqual(['adyen@eu']);
    clock.advance(1_000);
    expect(keys(selector.select({ region: 'eu' }, health))).toEqual(['stripe@eu', 'adyen@eu']);
  });
});

describe('requestAttributes', () => {
  it('reads region, amount and currency from headers, then the JSON body', () => {
    expect(requestAttributes({ headers: { 'x-region': ' EU ', 'x-amount': '120.50', 'x-currency': 'EUR' } })).toEqual({ region: 'eu', amount: 120.5, currency: 'eur' });
    const body = new TextEncoder().encode(JSON.stringify({ payment: { amount: 42, currency: 'usd' } }));
    expect(requestAttributes({ headers: {}, body }, { amountField: 'payment.amount', currencyField: 'payment.currency', defaultRegion: 'us' })).toEqual({
      region: 'us',
      amount: 42,
      currency: 'usd',
    });
  });

  it('reads an unparseable region as unknown, never as another region, and uses geo when there is no header', () => {
    expect(requestAttributes({ headers: { 'x-region': 'eu/../us' } }, { defaultRegion: 'us' }).region).toBeUndefined();
    expect(requestAttributes({ headers: {}, ip: '10.1.2.3' }, { geo: (ip) => (ip.startsWith('10.1.') ? 'EU' : undefined), defaultRegion: 'us' }).region).toBe('eu');
    expect(requestAttributes({ headers: {}, ip: '10.9.2.3' }, { geo: () => undefined, defaultRegion: 'us' }).region).toBe('us');
  });

  it('ignores amounts that are not non-negative numbers and bodies that are not JSON', () => {
    expect(requestAttributes({ headers: { 'x-amount': '-5' }, body: new TextEncoder().encode('{not json') })).toEqual({ region: undefined, amount: undefined, currency: undefined });
    expect(requestAttributes({ headers: { 'x-amount': '1e400' } }).amount).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------
// Invariant: compliance routing never sends a request to a forbidden region under any fault pattern.

const NAMES = ['stripe', 'adyen', 'braintree', 'mollie'];
const REGIONS = ['eu', 'us', 'ch', 'apac'];

const candidatesArb = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...REGIONS)), { minLength: 1, maxLength: 10, selector: ([n, r]) => `${n}@${r}` })
  .chain((pairs) =>
    fc.tuple(
      fc.constant(pairs.map(([n, r]) => `${n}@${r}`)),
      fc.array(fc.record({ rate: fc.double({ min: 0, max: 0.1, noNaN: true }), fixed: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }), last: fc.boolean() }), {
        minLength: pairs.length,
        maxLength: pairs.length,
      }),
    ),
  )
  .map(([ks, fees]) => ks.map((key, i): Candidate => ({ key, fee: { rate: fees[i]!.rate, ...(fees[i]!.fixed !== undefined && { fixed: fees[i]!.fixed }) }, ...(fees[i]!.last && { lastResort: true }) })));

const patternArb = fc.oneof(
  fc.constant('*'),
  fc.constantFrom(...NAMES),
  fc.constantFrom(...REGIONS).map((r) => `*@${r}`),
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...REGIONS)).map(([n, r]) => `${n}@${r}`),
);
const complianceArb = fc.record({
  allow: fc.dictionary(fc.constantFrom(...REGIONS), fc.array(patternArb, { maxLength: 4 })),
  unlisted: fc.constantFrom('deny' as const, 'any' as const),
});
const healthArb = fc.constantFrom<Health>('healthy', 'degraded', 'unavailable');
/** What a provider does when called: answers, fails with 5xx, times out. */
const behaviourArb = fc.constantFrom('ok', '503', 'timeout');

/** The oracle, written independently of the selector: may `key` serve `region`? */
function permitted(compliance: { allow: Record<string, string[]>; unlisted: 'deny' | 'any' }, region: string | undefined, key: string): boolean {
  if (region === undefined || !Object.hasOwn(compliance.allow, region)) return compliance.unlisted === 'any';
  const [name, reg] = key.split('@');
  return compliance.allow[region]!.some((p) => {
    if (p === '*') return true;
    const [pn, pr] = p.includes('@') ? p.split('@') : [p, '*'];
    return (pn === '*' || pn === name) && (pr === '*' || pr === reg);
  });
}

describe('invariant: compliance under any fault pattern', () => {
  it('never calls a provider not allowed for the request region, whatever the health and whatever each call does', async () => {
    await fc.assert(
      fc.asyncProperty(
        candidatesArb,
        complianceArb,
        fc.constantFrom('skip' as const, 'last' as const),
        fc.array(
          fc.record({
            region: fc.option(fc.constantFrom(...REGIONS, 'mars'), { nil: undefined }),
            amount: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: undefined }),
            health: fc.dictionary(fc.constantFrom(...NAMES.flatMap((n) => REGIONS.map((r) => `${n}@${r}`))), healthArb),
            behaviour: fc.dictionary(fc.constantFrom(...NAMES.flatMap((n) => REGIONS.map((r) => `${n}@${r}`))), behaviourArb),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (candidates, compliance, unhealthy, requests) => {
          const selector = new ProviderSelector({ candidates, compliance, unhealthy });
          const failover = new FailoverPolicy<{ status: number }>({ failedResult: (r) => (r.status >= 500 ? { reason: '5xx', status: r.status } : undefined) });
          for (const req of requests) {
            const health = (k: string): Health => req.health[k] ?? 'healthy';
            const s = selector.select({ region: req.region, amount: req.amount }, health);
            const called: string[] = [];
            const targets: FailoverTarget<{ status: number }>[] = s.order.map((r) => ({
              key: r.key,
              // The breaker's own look can differ from the selection's health (a race): it may refuse too.
              available: () => health(r.key) !== 'unavailable',
              run: async () => {
                called.push(r.key);
                const b = req.behaviour[r.key] ?? 'ok';
                if (b === 'timeout') throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
                return { status: b === 'ok' ? 200 : 503 };
              },
            }));
            try {
              await failover.execute(targets);
            } catch (e) {
              if (!(e instanceof AllTargetsFailedError)) throw e;
            }
            for (const key of [...called, ...s.order.map((r) => r.key)]) {
              if (!permitted(compliance, req.region, key)) throw new Error(`${key} served a ${req.region ?? 'region-less'} request`);
            }
            // Nothing compliant is lost: every compliant candidate is either ordered or excluded as unavailable.
            const compliant = candidates.filter((c) => permitted(compliance, req.region, c.key)).map((c) => c.key);
            expect(new Set([...s.order.map((r) => r.key), ...s.excluded.filter((e) => e.reason === 'unavailable').map((e) => e.key)])).toEqual(new Set(compliant));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('orders by health tier, then cost, never a last resort before a healthy or degraded cheaper one', () => {
    fc.assert(
      fc.property(candidatesArb, fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), healthArb), fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: undefined }), (candidates, hmap, amount) => {
        const health = (k: string): Health => hmap[k] ?? (k.length % 3 === 0 ? 'degraded' : k.length % 3 === 1 ? 'unavailable' : 'healthy');
        const s = new ProviderSelector({ candidates, unhealthy: 'last' }).select({ amount }, health);
        // healthy < degraded < last resort (healthy, then degraded) < unavailable (last resorts at the very end)
        const tier = (r: (typeof s.order)[number]) => (r.health === 'unavailable' ? 4 + Number(r.lastResort) : (r.lastResort ? 2 : 0) + Number(r.health === 'degraded'));
        for (let i = 1; i < s.order.length; i++) {
          const a = s.order[i - 1]!;
          const b = s.order[i]!;
          expect(tier(a)).toBeLessThanOrEqual(tier(b));
          if (tier(a) === tier(b) && a.cost !== undefined && b.cost !== undefined) expect(a.cost).toBeLessThanOrEqual(b.cost + 1e-9);
        }
        expect(s.order).toHaveLength(candidates.length);
      }),
      { numRuns: 300 },
    );
  });
});
