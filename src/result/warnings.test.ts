import { describe, expect, it } from 'vitest';
import type { UpstreamRecord } from '../model/run.ts';
import type { FaultSpec } from '../model/faults/index.ts';
import type { ProviderSpec } from '../model/scenario.ts';
import { providerEndpoints, runWarnings } from './warnings.ts';

const providers: ProviderSpec[] = [
  { name: 'payments', kind: 'url', url: 'http://127.0.0.1:12111', regions: [] },
  { name: 'quotes', kind: 'handlers', handlers: '/m/quotes.ts', regions: [] },
  { name: 'stripe', kind: 'fixture', fixture: 'payments', regions: ['eu', 'us'] },
];
const endpoints = [
  { name: 'payments', kind: 'url' as const, url: 'http://127.0.0.1:40001', listen: '127.0.0.1:40001', env: 'FAULTLINE_PROVIDER_PAYMENTS_URL', upstream: 'http://127.0.0.1:12111' },
  { name: 'quotes', kind: 'handlers' as const, url: 'http://127.0.0.1:40002', listen: '127.0.0.1:40002', env: 'FAULTLINE_PROVIDER_QUOTES_URL' },
  { name: 'stripe', region: 'eu', kind: 'fixture' as const, url: 'http://127.0.0.1:40003', listen: '127.0.0.1:40003', env: 'FAULTLINE_PROVIDER_STRIPE_EU_URL' },
  { name: 'stripe', region: 'us', kind: 'fixture' as const, url: 'http://127.0.0.1:40004', listen: '127.0.0.1:40004', env: 'FAULTLINE_PROVIDER_STRIPE_US_URL' },
];
const rec = (provider: string, status: number, endpoint = 'GET /x', region?: string): UpstreamRecord => ({ t: 0, provider, region, endpoint, status });

describe('run warnings', () => {
  it('names a provider that received nothing, with where the service should have called it', () => {
    const upstream = [rec('quotes', 200), rec('stripe', 201, 'POST /v1/charges', 'eu')];
    const w = runWarnings({ providers, faults: [] }, upstream, endpoints, { completed: true });
    expect(w).toEqual([
      'provider `payments` received no request at all: the target is not calling it through its proxy at http://127.0.0.1:40001 (FAULTLINE_PROVIDER_PAYMENTS_URL) — check the service\'s upstream address (it may be calling http://127.0.0.1:12111 directly)',
    ]);
    expect(runWarnings({ providers, faults: [], target: { kind: 'router' } }, upstream, endpoints, { completed: true })).toEqual([
      'provider `payments` received no request at all: the reference router never called it (a fallback that was never needed?), so faults on it and SLOs about it judged nothing',
    ]);
    // An aborted run may have stopped before the first call: no such warning.
    expect(runWarnings({ providers, faults: [] }, upstream, endpoints, { completed: false })).toEqual([]);
  });

  it('flags a provider that answered mostly 4xx, not counting statuses its own faults injected', () => {
    const upstream = [
      rec('payments', 200),
      rec('quotes', 404, 'GET /quote'),
      rec('quotes', 404, 'GET /quote'),
      rec('quotes', 200, 'GET /quotes/:sku'),
      rec('quotes', 0),
      rec('stripe', 429, 'POST /v1/charges', 'eu'),
      rec('stripe', 429, 'POST /v1/charges', 'us'),
      rec('stripe', 201, 'POST /v1/charges', 'us'),
    ];
    const faults = [{ layer: 'http', kind: 'error', status: 429, target: { provider: 'stripe' } }] as unknown as FaultSpec[];
    expect(runWarnings({ providers, faults }, upstream, endpoints, { completed: true })).toEqual([
      'provider `quotes` answered 4xx to 66.7 % of its 3 answers (404 on GET /quote ×2): is the service calling a path the provider does not serve, or sending a request it rejects?',
    ]);
    // Without the fault, stripe's 429s are its own answers.
    expect(runWarnings({ providers, faults: [] }, upstream, endpoints, { completed: true })[1]).toMatch(/^provider `stripe` answered 4xx to 66.7 % of its 3 answers \(429 on POST \/v1\/charges ×2\)/);
  });

  it('counts the requests each endpoint received', () => {
    const upstream = [rec('quotes', 200), rec('quotes', 404), rec('stripe', 201, 'POST /v1/charges', 'us')];
    expect(providerEndpoints(endpoints, upstream).map((e) => [e.name, e.region, e.requests])).toEqual([
      ['payments', undefined, 0],
      ['quotes', undefined, 2],
      ['stripe', 'eu', 0],
      ['stripe', 'us', 1],
    ]);
  });
});
