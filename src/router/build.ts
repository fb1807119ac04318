/**
 * Building a router: from its config, every stateful policy and every compiled route, once,
 * into a RouterState that requests are then handled against (handle.ts). Nothing here runs
 * per request, so a state can be built and looked at without one.
 *
 * Scopes of the policies on a call's path (the order they run in is handle.ts's):
 *
 * - retry is per route and provider (its metric names both); its budget is the route's,
 *   shared by the route's upstreams;
 * - breaker, provider bulkhead and adaptive throttle are per provider key, shared by every
 *   route that calls the provider, since a provider's health and capacity are not a
 *   property of the route;
 * - outlier detection is per route (it ejects at most a share of the route's upstreams);
 * - the timeout is per attempt, the deadline per request, one shared timer each per route.
 *
 * Each provider a route can reach (its upstreams, its canary's, its fallback tiers' and its
 * LLM chains') gets its pipeline `retry(+budget) → adaptive throttle → provider bulkhead →
 * breaker → outlier detection → [count attempt] → timeout`, built here; the metrics every
 * configured policy can emit are zeroed here too, so a series exists before its first event.
 */

import { seededRng } from '../core/rng.ts';
import { conditionSet } from './conditions.ts';
import { DEFAULT_MAX_REQUEST_BODY } from './config.ts';
import { CircuitBreaker } from './policies/breaker.ts';
import type { RetryBudget } from './policies/budget.ts';
import { Bulkhead } from './policies/bulkhead.ts';
import { TrustedProxies } from './policies/client-address.ts';
import { ManualQueue } from './policies/fallback.ts';
import { OutlierDetector } from './policies/outlier.ts';
import { RateLimiter } from './policies/ratelimit.ts';
import { LoadShedder } from './policies/shedding.ts';
import { AdaptiveThrottle } from './policies/throttle.ts';
import { ProviderRegistry } from './providers.ts';
import { Canary } from './routing/canary.ts';
import type { UpstreamResponse } from './transport.ts';
import { buildRoute, type RouteBuild } from './build-route.ts';
import type { CallUpstreams, RouterInputs, RouterState } from './state.ts';

/**
 * Builds every policy and route of `inputs.config`. Construction order is part of the
 * behaviour: the policies that draw split their streams off `inputs.rng` in this order.
 */
export function buildRouterState(inputs: RouterInputs, callTier: CallUpstreams): RouterState {
  const { config, clock, rng, metrics } = inputs;
  // Policies that draw (throttle, queue tickets) get streams of their own, made only when
  // configured, so adding one does not shift the jitter draws of a config without it.
  const childRng = () => seededRng(Math.floor(rng.next() * 0x7fff_ffff));
  const providers = new ProviderRegistry(
    config.providers.map(({ key, name, region, url }) => ({ key, name, url, ...(region !== undefined && { region }) })),
    inputs.upstreams,
  );
  const unsubscribe: Array<() => void> = [];
  const disposers: Array<() => void> = [];

  const shedder = config.loadShedding
    ? new LoadShedder(config.loadShedding, clock, (priority) => metrics.shed(priority))
    : undefined;
  if (shedder) for (const p of shedder.priorities) metrics.zero('loadShed', p);
  const priorityHeader = config.loadShedding?.priorityHeader;
  const queueDelay = shedder && config.loadShedding?.maxQueueDelay !== undefined ? (ms: number) => shedder.observeQueueDelay(ms) : undefined;

  const trusted = new TrustedProxies(config.trustedProxies ?? []);
  const rateLimiters = new Map<string, RateLimiter>();
  const globalLimiter = config.rateLimit ? new RateLimiter(config.rateLimit, clock) : undefined;
  const defaultBodyLimit = config.maxRequestBody ?? DEFAULT_MAX_REQUEST_BODY;
  if (globalLimiter) rateLimiters.set('global', globalLimiter);

  // Per provider key: breaker, bulkhead, adaptive throttle.
  const breakers = new Map<string, CircuitBreaker>();
  const bulkheads = new Map<string, Bulkhead>();
  const throttles = new Map<string, AdaptiveThrottle<UpstreamResponse>>();
  for (const p of config.providers) {
    if (p.breaker) {
      const failureOn = conditionSet(p.breaker.failureOn);
      const breaker = new CircuitBreaker(p.breaker, clock, {
        result: (r) => failureOn.status((r as UpstreamResponse).status),
        error: (e) => failureOn.error(e),
      });
      breakers.set(p.key, breaker);
      unsubscribe.push(metrics.watchBreaker(p.name, p.region, breaker));
    }
    if (p.bulkhead) {
      const key = p.key;
      const bulkhead = new Bulkhead(
        p.bulkhead,
        clock,
        { onRejected: (reason) => metrics.bulkheadRejected('provider', key, reason), ...(queueDelay && { onQueueWait: queueDelay }) },
        `provider ${key}`,
      );
      bulkheads.set(key, bulkhead);
      disposers.push(() => bulkhead.dispose());
      metrics.zero('bulkheadRejections', 'provider', key, 'full');
      metrics.zero('bulkheadRejections', 'provider', key, 'queue_timeout');
    }
    if (p.adaptiveThrottling) {
      const key = p.key;
      const rejectOn = conditionSet(p.adaptiveThrottling.rejectOn);
      throttles.set(
        key,
        new AdaptiveThrottle<UpstreamResponse>(p.adaptiveThrottling, clock, childRng(), {
          rejected: (r) => rejectOn.status(r.status),
          rejectedError: (e) => rejectOn.error(e),
          onThrottled: () => metrics.throttle(key),
        }),
      );
      metrics.zero('throttled', key);
    }
  }

  const outliers = new Map<string, OutlierDetector>();
  const canaries = new Map<string, Canary>();
  const budgets = new Map<string, RetryBudget>();
  const routeBulkheads = new Map<string, Bulkhead>();
  const queues = new Map<string, ManualQueue<{ method: string; path: string; body?: Uint8Array }>>();

  const build: RouteBuild = {
    clock,
    rng,
    childRng,
    metrics,
    providers,
    breakers,
    bulkheads,
    throttles,
    queueDelay,
    defaultBodyLimit,
    globalLimiter,
    outliers,
    canaries,
    budgets,
    routeBulkheads,
    queues,
    rateLimiters,
    disposers,
    // The state is complete before any request, so before any tier runs.
    callTier: (route, tier, ctx) => callTier(state, route, tier, ctx),
  };
  const routes = config.routes.map((rc) => buildRoute(rc, build));

  const state: RouterState = {
    config,
    clock,
    metrics,
    transport: inputs.transport,
    providers,
    trusted,
    routes,
    defaultBodyLimit,
    globalLimiter,
    shedder,
    priorityHeader,
    breakers,
    bulkheads,
    throttles,
    routeBulkheads,
    outliers,
    budgets,
    rateLimiters,
    queues,
    canaries,
    unsubscribe,
    disposers,
  };
  return state;
}
