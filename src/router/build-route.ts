/**
 * Building one route: every provider it can reach gets its pipeline (`retry(+budget) →
 * adaptive throttle → provider bulkhead → breaker → outlier detection → [count attempt] →
 * timeout`), then the route's own policies (bulkhead, rate limit, auth, canary, fallback
 * tiers or deadline) and the metrics they can emit, zeroed. build.ts calls it once per route,
 * in the config's order (the policies that draw split their streams off the rng in that order).
 */
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import { conditionSet } from './conditions.ts';
import type { FallbackTierConfig, RetryBudgetConfig, RouteConfig } from './config.ts';
import { json, responseHeaders, type RouterRequest } from './messages.ts';
import type { RouterMetrics } from './metrics.ts';
import { compileMatch } from './path.ts';
import { CircuitBreaker } from './policies/breaker.ts';
import { ConcurrencyRetryBudget, RetryQuota, TokenRetryBudget, type RetryBudget } from './policies/budget.ts';
import { Bulkhead } from './policies/bulkhead.ts';
import { wrap } from './policies/compose.ts';
import { isDeadlineExceededError, isNetworkError, isTimeoutError } from './policies/errors.ts';
import { FailoverPolicy, type FailoverReason } from './policies/failover.ts';
import { FallbackChain, LastGoodCache, ManualQueue, type FallbackTier } from './policies/fallback.ts';
import { Watcher } from './policies/gate.ts';
import { OutlierDetector } from './policies/outlier.ts';
import { noop, type Policy, type PolicyContext } from './policies/policy.ts';
import { RateLimiter } from './policies/ratelimit.ts';
import { parseRetryAfter, RetryPolicy } from './policies/retry.ts';
import { AdaptiveThrottle } from './policies/throttle.ts';
import { DeadlinePolicy, TimeoutPolicy } from './policies/timeout.ts';
import { ProviderRegistry } from './providers.ts';
import { AUTH_FAILURES, buildJwtAuth, type JwtAuth } from './routing/auth.ts';
import { Canary } from './routing/canary.ts';
import { breakerHealth, type HealthOf } from './routing/select.ts';
import type { UpstreamResponse } from './transport.ts';
import type { Answer, Carried, CompiledRoute, CompiledUpstream, UpstreamTier } from './state.ts';

/** What building a route takes from the router being built, and where it registers the route's policies. */
export interface RouteBuild {
  clock: Clock;
  rng: Rng;
  /** A fresh stream for a policy that draws (a queue tier's tickets). */
  childRng: () => Rng;
  metrics: RouterMetrics;
  providers: ProviderRegistry;
  /** The per-provider policies, by provider key, shared by every route. */
  breakers: ReadonlyMap<string, CircuitBreaker>;
  bulkheads: ReadonlyMap<string, Bulkhead>;
  throttles: ReadonlyMap<string, AdaptiveThrottle<UpstreamResponse>>;
  queueDelay: ((ms: number) => void) | undefined;
  defaultBodyLimit: number;
  globalLimiter: RateLimiter | undefined;
  /** The route's policies, by route label, for RouterPolicies. */
  outliers: Map<string, OutlierDetector>;
  canaries: Map<string, Canary>;
  budgets: Map<string, RetryBudget>;
  routeBulkheads: Map<string, Bulkhead>;
  queues: Map<string, ManualQueue<{ method: string; path: string; body?: Uint8Array }>>;
  rateLimiters: Map<string, RateLimiter>;
  disposers: Array<() => void>;
  /** Runs an upstream tier of a fallback chain (handle.ts's callUpstreams, on the built state). */
  callTier: (route: CompiledRoute, tier: UpstreamTier, ctx: PolicyContext) => Promise<Answer>;
}

/** One route of the config, compiled. */
export function buildRoute(rc: RouteConfig, b: RouteBuild): CompiledRoute {
  const { clock, metrics, providers, breakers, queueDelay, defaultBodyLimit, globalLimiter } = b;
  const { outliers, canaries, budgets, routeBulkheads, rateLimiters, disposers } = b;
  const label = rc.match;
  const failoverOn = conditionSet(rc.failoverOn);
  const timeout = new TimeoutPolicy(rc.timeout, clock);
  disposers.push(() => timeout.dispose());

  // Every provider the route can call: its upstreams, its canary's, those of its fallback
  // tiers and of its LLM chains. Each gets its pipeline (retry → … → breaker → outlier).
  const keys = [...rc.upstreams];
  const reach = (k: string) => {
    if (!keys.includes(k) && providers.get(k)) keys.push(k);
  };
  for (const k of rc.canary?.upstreams ?? []) reach(k);
  for (const t of rc.fallback?.tiers ?? []) if (t.tier === 'upstreams') for (const k of t.upstreams) reach(k);
  if (rc.llm) for (const c of rc.llm.registry.classes.values()) for (const id of c.chain) reach(rc.llm.registry.models.get(id)!.provider);

  const budget = rc.retry?.budget ? makeBudget(rc.retry.budget) : undefined;
  if (budget) budgets.set(label, budget);

  let outlier: OutlierDetector | undefined;
  let outlierOn: ReturnType<typeof conditionSet> | undefined;
  if (rc.outlierDetection) {
    outlierOn = conditionSet(rc.outlierDetection.failureOn);
    outlier = new OutlierDetector(keys, rc.outlierDetection, clock, (host, reason) => metrics.ejected(label, host, reason));
    outliers.set(label, outlier);
    for (const k of keys) {
      metrics.zero('outlierEjections', label, k, 'consecutive_5xx');
      if (rc.outlierDetection.failurePercentage) metrics.zero('outlierEjections', label, k, 'failure_percentage');
    }
  }

  const shared: RouteShared = { label, budget, outlier, outlierOn, timeout };
  const byKey = new Map<string, CompiledUpstream>(keys.map((key) => [key, compileUpstream(rc, key, shared, b)]));

  let bulkhead: Bulkhead | undefined;
  if (rc.bulkhead) {
    bulkhead = new Bulkhead(
      rc.bulkhead,
      clock,
      { onRejected: (reason) => metrics.bulkheadRejected('route', label, reason), ...(queueDelay && { onQueueWait: queueDelay }) },
      `route ${label}`,
    );
    routeBulkheads.set(label, bulkhead);
    const b = bulkhead;
    disposers.push(() => b.dispose());
    metrics.zero('bulkheadRejections', 'route', label, 'full');
    metrics.zero('bulkheadRejections', 'route', label, 'queue_timeout');
  }

  let rateLimit: RateLimiter | undefined;
  if (rc.rateLimit) {
    rateLimit = new RateLimiter(rc.rateLimit, clock);
    rateLimiters.set(label, rateLimit);
    metrics.zero('rateLimited', label, 'route');
  }
  if (globalLimiter) metrics.zero('rateLimited', label, 'global');

  const detector = outlier;
  const degradedAt = rc.select?.degradedAt;
  const health: HealthOf = (key) => {
    const b = breakers.get(key);
    const h = b ? breakerHealth(b, degradedAt) : 'healthy';
    return h !== 'unavailable' && detector?.isEjected(key) ? 'unavailable' : h;
  };
  const unavailable = (key: string): FailoverReason => (detector?.isEjected(key) && breakers.get(key)?.isCallPermitted() !== false ? 'ejected' : 'breaker_open');

  let auth: JwtAuth | undefined;
  if (rc.auth) {
    const made = buildJwtAuth({ ...rc.auth.jwt, clock });
    if (!made.ok) throw new RangeError(`route ${label}: auth: ${made.problems.join('; ')}`);
    auth = made.auth;
    for (const reason of AUTH_FAILURES) metrics.zero('authRejections', label, reason);
  }

  let canary: CompiledRoute['canary'];
  if (rc.canary) {
    const c = new Canary(rc.canary.options, clock);
    canaries.set(label, c);
    metrics.watchCanary(label, c);
    for (const arm of ['baseline', 'canary']) for (const outcome of ['success', 'error']) metrics.zero('canaryRequests', label, arm, outcome);
    canary = { canary: c, upstreams: rc.canary.upstreams.map((k) => byKey.get(k)!), stickyHeader: rc.canary.stickyHeader };
  }
  if (rc.select) {
    metrics.zero('routingDecisions', label, 'none', 'no_compliant_provider');
    metrics.zero('routingDecisions', label, 'none', 'no_available_provider');
  }
  if (rc.llm) {
    metrics.zero('routingDecisions', label, 'none', 'no_available_model');
    for (const [name, c] of rc.llm.registry.classes) for (const id of c.chain) metrics.zero('llmRequests', label, name, id);
  }

  const route: CompiledRoute = {
    config: rc,
    label,
    test: compileMatch(rc.match),
    deadline: undefined,
    rateLimit,
    bulkhead,
    failover: new FailoverPolicy<UpstreamResponse>({
      failedResult: (r) => (failoverOn.status(r.status) ? { reason: r.status >= 500 ? '5xx' : '4xx', status: r.status } : undefined),
      failOverOnError: (e, reason) => reason === 'breaker_open' || failoverOn.error(e),
      onFailover: (from, to, reason) => metrics.failover(from, to, reason),
    }),
    upstreams: rc.upstreams.map((k) => byKey.get(k)!),
    primary: { routed: true, list: rc.upstreams.map((k) => byKey.get(k)!) },
    fixed: {
      baseline: { targets: rc.upstreams.map((k) => ({ upstream: byKey.get(k)! })), shared: {} },
      canary: canary && { targets: canary.upstreams.map((upstream) => ({ upstream })), shared: {} },
    },
    byKey,
    chain: undefined,
    cache: undefined,
    health,
    unavailable,
    selectors: new Map(),
    auth,
    canary,
    maxBody: rc.maxRequestBody ?? defaultBodyLimit,
  };

  if (rc.fallback) {
    const tiers = rc.fallback.tiers.map((t) => makeTier(route, t, b));
    route.chain = new FallbackChain<Answer>(tiers, clock, {
      ...(rc.deadline !== undefined && { deadline: rc.deadline }),
      onFallback: (tier) => metrics.fallback(label, tier),
    });
    const chain = route.chain;
    disposers.push(() => chain.dispose());
    for (const t of tiers.slice(1)) metrics.zero('fallbacks', label, t.name);
  } else if (rc.deadline !== undefined) {
    const deadline = new DeadlinePolicy(rc.deadline, clock);
    route.deadline = deadline;
    disposers.push(() => deadline.dispose());
  }
  return route;
}

/** The route's policies every one of its upstreams' pipelines shares. */
interface RouteShared {
  label: string;
  budget: RetryBudget | undefined;
  outlier: OutlierDetector | undefined;
  outlierOn: ReturnType<typeof conditionSet> | undefined;
  timeout: TimeoutPolicy;
}

/** One provider as the route calls it: its pipeline `retry(+budget) → throttle → bulkhead → breaker → outlier → [count] → timeout`, and when to skip it. */
function compileUpstream(rc: RouteConfig, key: string, shared: RouteShared, b: RouteBuild): CompiledUpstream {
  const { clock, rng, metrics, providers, breakers, bulkheads, throttles } = b;
  const { label, budget, outlier, outlierOn, timeout } = shared;
  const provider = providers.get(key)!;
  const breaker = breakers.get(key);
  let retry: Policy = noop;
  if (rc.retry) {
    const retryOn = conditionSet(rc.retry.on);
    retry = new RetryPolicy<UpstreamResponse>(
      {
        maxAttempts: rc.retry.maxAttempts,
        backoff: rc.retry.backoff,
        retryOnResult: (r) => retryOn.status(r.status),
        retryOnError: (e) => retryOn.error(e),
        retryAfter: (r) => parseRetryAfter(r.headers['retry-after'], clock.now()),
        retryAfterCap: rc.retry.retryAfterCap,
        retryNonIdempotent: !rc.retry.idempotentOnly,
        ...(budget && { budget, onBudgetExhausted: () => metrics.budgetRefused(label, key) }),
        onRetry: () => metrics.retry(label, key),
      },
      clock,
      rng,
    );
    metrics.zero('retries', label, key);
    if (budget) metrics.zero('budgetExhausted', label, key);
  }
  const outlierPolicy =
    outlier && outlierOn
      ? outlier.forHost<UpstreamResponse>(key, (r) => outlierOn.status(r.status), (e) => outlierOn.error(e))
      : noop;
  const detector = outlier;
  const skip = breaker || detector
    ? () => (breaker && !breaker.isCallPermitted() ? 'breaker_open' : detector?.isEjected(key) ? 'ejected' : undefined)
    : undefined;
  const upstream: CompiledUpstream = {
    provider,
    breaker,
    skip,
    pipeline: wrap(retry, throttles.get(key) ?? noop, bulkheads.get(key) ?? noop, breaker ?? noop, outlierPolicy, new AttemptCounter(metrics, key), timeout),
  };
  metrics.zeroDuration(label, key, 'success');
  return upstream;
}

function makeTier(route: CompiledRoute, t: FallbackTierConfig, b: RouteBuild): FallbackTier<Answer> {
  switch (t.tier) {
    case 'upstreams': {
      const tier: UpstreamTier = { routed: t.routed, list: t.upstreams.map((k) => route.byKey.get(k)!) };
      return { name: t.name, local: false, run: (ctx) => b.callTier(route, tier, ctx) };
    }
    case 'cache': {
      const cache = new LastGoodCache<UpstreamResponse>(t.maxEntries, t.maxAge, b.clock);
      route.cache = cache;
      return {
        name: t.name,
        local: true,
        async run(ctx) {
          const key = cacheKey(ctx);
          const hit = key === undefined ? undefined : cache.get(key);
          if (!hit) return undefined;
          const headers = responseHeaders(hit.value.headers);
          headers['age'] = String(Math.floor(hit.age / 1000));
          return { status: hit.value.status, headers, body: hit.value.body, provider: 'none' };
        },
      };
    }
    case 'static': {
      const body = encoder.encode(t.body);
      return { name: t.name, local: true, run: async () => ({ status: t.status, headers: { ...t.headers }, body, provider: 'none' }) };
    }
    case 'queue': {
      const queue = new ManualQueue<{ method: string; path: string; body?: Uint8Array }>(t.capacity, b.clock, b.childRng());
      b.queues.set(route.label, queue);
      return {
        name: t.name,
        local: true,
        async run(ctx) {
          const req = requestOf(ctx);
          const ticket = queue.enqueue({ method: req.method, path: req.path, ...(req.body && { body: req.body }) });
          if (ticket === undefined) return undefined;
          const res = json(202, { status: 'queued', ticket, message: 'the request was accepted for later processing' });
          res.headers['location'] = `/queue/${ticket}`;
          return { ...res, provider: 'none' };
        },
      };
    }
  }
}

function makeBudget(b: RetryBudgetConfig): RetryBudget {
  switch (b.type) {
    case 'concurrency':
      return new ConcurrencyRetryBudget(b);
    case 'tokens':
      return new TokenRetryBudget(b);
    case 'quota':
      return new RetryQuota(b);
  }
}

/** Tiers get only the PolicyContext; the request rides along in it, with its routing. */
const requestOf = (ctx: PolicyContext): RouterRequest => (ctx.request as Carried).req;

/** The last-good cache's key for a request: GET and HEAD only. */
export const cacheKey = (ctx: PolicyContext): string | undefined => {
  const req = requestOf(ctx);
  return req.method === 'GET' || req.method === 'HEAD' ? `${req.method} ${req.path}` : undefined;
};

const encoder = new TextEncoder();

/**
 * Counts each call to a provider by how it ended (`upstream_attempts_total`): its status, or
 * why no answer came. It sits just outside the per-attempt timeout, so timeouts count; as a
 * gate it runs in the pipeline's fused level, at no promise of its own.
 */
class AttemptCounter extends Watcher {
  readonly #metrics: RouterMetrics;
  readonly #key: string;

  constructor(metrics: RouterMetrics, key: string) {
    super();
    this.#metrics = metrics;
    this.#key = key;
  }

  returned(_ticket: number, _started: number, value: unknown): void {
    this.#metrics.attempt(this.#key, (value as UpstreamResponse).status);
  }

  threw(_ticket: number, _started: number, _ctx: PolicyContext, error: unknown): void {
    this.#metrics.attempt(this.#key, isTimeoutError(error) ? 'timeout' : isNetworkError(error) ? 'network' : isDeadlineExceededError(error) ? 'deadline' : 'aborted');
  }
}
