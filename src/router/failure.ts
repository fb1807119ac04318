/**
 * A failed request as the router's own HTTP answer: which error becomes which status, body
 * and Retry-After, and the outcome label the request is counted under. Nothing here calls
 * anyone or changes a policy; it reads the route's breakers only to say when to come back.
 */
import type { Clock } from '../core/clock.ts';
import type { CompiledRoute, Plan } from './state.ts';
import { json, type RouterRequest, type RouterResponse } from './messages.ts';
import type { RequestOutcome } from './metrics.ts';
import { isBulkheadRejectedError, isCallerAbortedError, isDeadlineExceededError, isLoadShedError } from './policies/errors.ts';
import { isAllTargetsFailedError } from './policies/failover.ts';
import { isFallbackExhaustedError } from './policies/fallback.ts';

/** The router's answer to a request that failed, and how the request is counted. */
export interface Failure {
  res: RouterResponse;
  outcome: RequestOutcome;
}

/** An error as the router's own answer, and its outcome label. */
export function failureAnswer(route: CompiledRoute, req: RouterRequest, err: unknown, clock: Clock): Failure {
  // A fallback chain that found no answer fails for the reason its first tier did.
  if (isFallbackExhaustedError(err)) {
    if (err.deadlineExceeded) return deadlineAnswer(route, err.message);
    const first = err.missed.find((m) => m.error !== undefined);
    if (first) return failureAnswer(route, req, first.error, clock);
    return {
      res: json(502, { error: 'no_answer', message: err.message, route: route.label, tiers: err.missed.map((m) => ({ tier: m.tier, reason: m.reason })) }),
      outcome: 'failure',
    };
  }
  if (req.signal?.aborted || isCallerAbortedError(err)) {
    // 499, nginx's "client closed request": nobody reads it, but logs and tests can.
    return { res: json(499, { error: 'client_closed_request', message: 'the client went away before an answer' }), outcome: 'aborted' };
  }
  if (isDeadlineExceededError(err)) return deadlineAnswer(route, err.message);
  if (isLoadShedError(err)) {
    const res = json(503, { error: 'overloaded', message: err.message, priority: err.priority, route: route.label });
    res.headers['retry-after'] = '1';
    return { res, outcome: 'shed' };
  }
  if (isBulkheadRejectedError(err)) {
    const res = json(503, { error: 'bulkhead_full', message: err.message, route: route.label });
    res.headers['retry-after'] = '1';
    return { res, outcome: 'rejected' };
  }
  if (err instanceof NoUpstreamError) {
    const r = err.refusal;
    const res = json(503, { error: r.error, message: r.message, route: route.label, ...(r.region !== undefined && { region: r.region }), ...(r.class !== undefined && { class: r.class }) });
    // Waiting helps only when the providers are down, not when none may serve the client.
    if (r.error !== 'no_compliant_provider') {
      const retryAt = Math.min(...err.candidates.map((k) => route.byKey.get(k)?.breaker?.retryAt() ?? Infinity));
      res.headers['retry-after'] = String(Number.isFinite(retryAt) ? Math.max(1, Math.ceil((retryAt - clock.now()) / 1000)) : 1);
    }
    return { res, outcome: 'rejected' };
  }
  if (isAllTargetsFailedError(err)) {
    if (err.noneCalled) {
      const retryAt = Math.min(...err.attempts.map((a) => route.byKey.get(a.key)?.breaker?.retryAt() ?? Infinity));
      const res = json(503, { error: err.allBreakersOpen ? 'circuit_open' : 'upstreams_unavailable', message: err.message, route: route.label, attempts: err.attempts });
      res.headers['retry-after'] = String(Number.isFinite(retryAt) ? Math.max(1, Math.ceil((retryAt - clock.now()) / 1000)) : 1);
      return { res, outcome: 'rejected' };
    }
    return { res: json(502, { error: 'upstreams_failed', message: err.message, route: route.label, attempts: err.attempts }), outcome: 'failure' };
  }
  return { res: json(502, { error: 'upstream_error', message: err instanceof Error ? err.message : String(err), route: route.label }), outcome: 'failure' };
}

function deadlineAnswer(route: CompiledRoute, message: string): Failure {
  return { res: json(504, { error: 'deadline_exceeded', message, route: route.label, deadlineMs: route.config.deadline }), outcome: 'deadline_exceeded' };
}

/** Routing left nobody to call: no compliant provider, none available, no model. */
export class NoUpstreamError extends Error {
  override readonly name = 'NoUpstreamError';
  readonly refusal: NonNullable<Plan['refusal']>;
  /** The keys left out as unavailable (their breakers say when to retry). */
  readonly candidates: readonly string[];
  constructor(refusal: NonNullable<Plan['refusal']>, candidates: readonly string[]) {
    super(refusal.message);
    this.refusal = refusal;
    this.candidates = candidates;
  }
}
