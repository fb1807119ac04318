/**
 * Which failure becomes which answer of the router's own, without running a request: the
 * status, the body's `error`, Retry-After, and the outcome the request is counted under.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import { buildRouterState } from './build.ts';
import type { CompiledRoute } from './state.ts';
import { parseRouterConfig } from './load.ts';
import { failureAnswer, NoUpstreamError } from './failure.ts';
import { PROVIDER_HEADER, type RouterRequest } from './messages.ts';
import { RouterMetrics } from './metrics.ts';
import { BulkheadRejectedError, CallerAbortedError, DeadlineExceededError, LoadShedError, TimeoutError } from './policies/errors.ts';
import { AllTargetsFailedError } from './policies/failover.ts';
import { FallbackExhaustedError } from './policies/fallback.ts';

function route(): { route: CompiledRoute; clock: FakeClock } {
  const loaded = parseRouterConfig(
    `
name: failure
providers:
  a: { url: http://a.test, breaker: { failureRate: 50%, window: 20, minimumCalls: 10, openFor: 5s } }
  b: { url: http://b.test, breaker: { failureRate: 50%, window: 20, minimumCalls: 10, openFor: 5s } }
routes:
  - { match: /r, upstreams: [a, b], deadline: 2s }
`,
    'failure.test',
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const clock = new FakeClock();
  const transport = { send: () => Promise.reject(new Error('not called')), close: async () => {} };
  const state = buildRouterState({ config: loaded.value, transport, clock, rng: seededRng(1), metrics: new RouterMetrics() }, () => Promise.reject(new Error('not called')));
  return { route: state.routes[0]!, clock };
}

const req: RouterRequest = { method: 'GET', path: '/r', headers: {} };

function answer(err: unknown, request: RouterRequest = req) {
  const { route: r, clock } = route();
  const { res, outcome } = failureAnswer(r, request, err, clock);
  return { status: res.status, outcome, retryAfter: res.headers['retry-after'], provider: res.headers[PROVIDER_HEADER], body: JSON.parse(new TextDecoder().decode(res.body)) };
}

describe('failureAnswer', () => {
  it('answers a deadline with 504 and the route deadline', () => {
    expect(answer(new DeadlineExceededError(2000))).toMatchObject({ status: 504, outcome: 'deadline_exceeded', provider: 'none', body: { error: 'deadline_exceeded', route: '/r', deadlineMs: 2000 } });
  });

  it('answers 499 when the client went away, whatever the error', () => {
    expect(answer(new CallerAbortedError())).toMatchObject({ status: 499, outcome: 'aborted', body: { error: 'client_closed_request' } });
    const gone = new AbortController();
    gone.abort();
    expect(answer(new TimeoutError(100), { ...req, signal: gone.signal })).toMatchObject({ status: 499, outcome: 'aborted' });
  });

  it('answers load shedding and a full bulkhead with 503 and Retry-After 1', () => {
    expect(answer(new LoadShedError('sheddable', 'queue too long'))).toMatchObject({ status: 503, outcome: 'shed', retryAfter: '1', body: { error: 'overloaded', priority: 'sheddable' } });
    expect(answer(new BulkheadRejectedError('full', 'route /r'))).toMatchObject({ status: 503, outcome: 'rejected', retryAfter: '1', body: { error: 'bulkhead_full' } });
  });

  it('tells when to come back after open breakers: the soonest retry time of those skipped', () => {
    const { route: r, clock } = route();
    clock.advance(1000);
    r.byKey.get('a')!.breaker!.restore({ kind: 'open', openedAt: 1000, until: 9000 });
    r.byKey.get('b')!.breaker!.restore({ kind: 'open', openedAt: 1000, until: 4200 });
    const err = new AllTargetsFailedError([{ key: 'a', reason: 'breaker_open' }, { key: 'b', reason: 'breaker_open' }], undefined);
    const { res, outcome } = failureAnswer(r, req, err, clock);
    expect(res.status).toBe(503);
    expect(outcome).toBe('rejected');
    expect(res.headers['retry-after']).toBe('4');
    expect(JSON.parse(new TextDecoder().decode(res.body))).toMatchObject({ error: 'circuit_open', attempts: [{ key: 'a' }, { key: 'b' }] });
  });

  it('answers 503 upstreams_unavailable when none was called for other reasons, 502 when those called failed', () => {
    expect(answer(new AllTargetsFailedError([{ key: 'a', reason: 'bulkhead_full' }, { key: 'b', reason: 'breaker_open' }], undefined))).toMatchObject({ status: 503, retryAfter: '1', body: { error: 'upstreams_unavailable' } });
    expect(answer(new AllTargetsFailedError([{ key: 'a', reason: '5xx', status: 503 }, { key: 'b', reason: 'timeout' }], undefined))).toMatchObject({ status: 502, outcome: 'failure', retryAfter: undefined, body: { error: 'upstreams_failed' } });
  });

  it('answers a routing refusal with 503 and its reason; Retry-After only when waiting can help', () => {
    const none = answer(new NoUpstreamError({ error: 'no_compliant_provider', message: 'nobody in EU', region: 'eu' }, []));
    expect(none).toMatchObject({ status: 503, outcome: 'rejected', retryAfter: undefined, body: { error: 'no_compliant_provider', region: 'eu', route: '/r' } });
    const down = answer(new NoUpstreamError({ error: 'no_available_provider', message: 'all down' }, ['a']));
    expect(down).toMatchObject({ status: 503, retryAfter: '1', body: { error: 'no_available_provider' } });
  });

  it("answers an exhausted fallback chain for its first tier's error, or 502 no_answer when no tier erred", () => {
    const shed = new FallbackExhaustedError([
      { tier: 'cache', reason: 'miss' },
      { tier: 'upstreams', reason: 'error', error: new LoadShedError('sheddable', 'busy') },
    ]);
    expect(answer(shed)).toMatchObject({ status: 503, outcome: 'shed' });
    expect(answer(new FallbackExhaustedError([{ tier: 'upstreams', reason: 'deadline', detail: 'cut' }]))).toMatchObject({ status: 504, outcome: 'deadline_exceeded' });
    expect(answer(new FallbackExhaustedError([{ tier: 'cache', reason: 'miss' }]))).toMatchObject({ status: 502, outcome: 'failure', body: { error: 'no_answer', tiers: [{ tier: 'cache', reason: 'miss' }] } });
  });

  it('answers anything else with 502 upstream_error and its message', () => {
    expect(answer(new Error('socket hang up'))).toMatchObject({ status: 502, outcome: 'failure', body: { error: 'upstream_error', message: 'socket hang up' } });
    expect(answer('odd')).toMatchObject({ status: 502, body: { message: 'odd' } });
  });
});
