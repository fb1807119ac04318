/**
 * The router without sockets: a request value in, a response value out. `server.ts` puts
 * it behind node:http; tests call `handle` directly with the MSW transport and a FakeClock;
 * the simulator can drive it in virtual time.
 *
 * Per request, outermost first:
 *
 *   match a route → rate limits (router-wide, then the route's; per client) → load shedding
 *   (router-wide, by priority) → the route's deadline → fallback chain (or the upstreams
 *   alone) → route bulkhead → failover over the tier's upstreams, each through
 *   `retry(+budget) → adaptive throttle → provider bulkhead → breaker → outlier detection
 *   → [count attempt] → timeout → transport`.
 *
 * - retry is per route and provider (its metric names both); its budget is the route's,
 *   shared by the route's upstreams;
 * - breaker, provider bulkhead and adaptive throttle are per provider key, shared by every
 *   route that calls the provider, since a provider's health and capacity are not a
 *   property of the route;
 * - outlier detection is per route (it ejects at most a share of the route's upstreams);
 * - the timeout is per attempt, the deadline per request, one shared timer each per route.
 *
 * Routing by cost/region/canary (src/router/routing/) only has to order `targets` per request.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import { conditionSet } from './conditions.ts';
import type { FallbackTierConfig, RetryBudgetConfig, RouteConfig, RouterConfig } from './config.ts';
import { RouterMetrics, type RequestOutcome } from './metrics.ts';
import { CircuitBreaker } from './policies/breaker.ts';
import { ConcurrencyRetryBudget, RetryQuota, TokenRetryBudget, type RetryBudget } from './policies/budget.ts';
import { Bulkhead } from './policies/bulkhead.ts';
import { clientAddress, TrustedProxies } from './policies/client-address.ts';
import {
  isBulkheadRejectedError,
  isCallerAbortedError,
  isDeadlineExceededError,
  isLoadShedError,
  isNetworkError,
  isTimeoutError,
} from './policies/errors.ts';
import { FailoverPolicy, isAllTargetsFailedError, type FailoverReason, type FailoverTarget } from './policies/failover.ts';
import { FallbackChain, isFallbackExhaustedError, LastGoodCache, ManualQueue, type FallbackTier } from './policies/fallback.ts';
import { OutlierDetector } from './policies/outlier.ts';
import { noop, wrap, type Policy, type PolicyContext } from './policies/policy.ts';
import { RateLimiter } from './policies/ratelimit.ts';
import { parseRetryAfter, RetryPolicy } from './policies/retry.ts';
import { LoadShedder } from './policies/shedding.ts';
import { AdaptiveThrottle } from './policies/throttle.ts';
import { DeadlinePolicy, TimeoutPolicy } from './policies/timeout.ts';
import { ProviderRegistry, type Provider } from './providers.ts';
import type { Transport, UpstreamRequest, UpstreamResponse } from './transport.ts';

/** Names who answered: a provider key, or `none` when the router answered itself. */
export const PROVIDER_HEADER = 'x-faultline-provider';
/** Names the fallback tier that answered, when it was not the first. */
export const FALLBACK_HEADER = 'x-faultline-fallback';

export interface RouterRequest {
  method: string;
  /** Path with query, as received: `/weather/oslo?units=metric`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Uint8Array;
  /** Aborts when the client goes away. */
  signal?: AbortSignal;
  /** The socket's peer address; with `X-Forwarded-For` and the trusted proxies it names the client. */
  remoteAddress?: string;
}

export interface RouterResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

export interface RouterOptions {
  config: RouterConfig;
  transport: Transport;
  /** Provider key (or bare name, for all its regions) → base URL, overriding the config's. */
  upstreams?: Record<string, string>;
  /** Default: the system clock. */
  clock?: Clock;
  /** Jitter draws. Default: a fixed seed, so two runs of one config jitter alike. */
  rng?: Rng;
  metrics?: RouterMetrics;
}

/** The router's stateful policies, by scope, for metrics, reports and tests. */
export interface RouterPolicies {
  /** By provider key. */
  readonly bulkheads: ReadonlyMap<string, Bulkhead>;
  /** By route label. */
  readonly routeBulkheads: ReadonlyMap<string, Bulkhead>;
  /** By provider key. */
  readonly throttles: ReadonlyMap<string, AdaptiveThrottle<UpstreamResponse>>;
  /** By route label. */
  readonly outliers: ReadonlyMap<string, OutlierDetector>;
  /** By route label. */
  readonly budgets: ReadonlyMap<string, RetryBudget>;
  /** `global`, or a route label. */
  readonly rateLimiters: ReadonlyMap<string, RateLimiter>;
  /** By route label. */
  readonly queues: ReadonlyMap<string, ManualQueue<{ method: string; path: string; body?: Uint8Array }>>;
  readonly shedder: LoadShedder | undefined;
}

export interface Router {
  handle(req: RouterRequest): Promise<RouterResponse>;
  readonly metrics: RouterMetrics;
  readonly providers: ProviderRegistry;
  /** Breakers by provider key. */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
  readonly policies: RouterPolicies;
  /** Stops the policies' timers and closes the transport. */
  close(): Promise<void>;
}

/** What a tier of a route's fallback chain answers with. */
interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
  /** Who answered: a provider key, or `none`. */
  provider: string;
}

interface CompiledUpstream {
  provider: Provider;
  pipeline: Policy;
  breaker: CircuitBreaker | undefined;
  skip: (() => FailoverReason | undefined) | undefined;
}

interface CompiledRoute {
  config: RouteConfig;
  label: string;
  test: (path: string) => boolean;
  timeout: TimeoutPolicy;
  deadline: DeadlinePolicy | undefined;
  rateLimit: RateLimiter | undefined;
  bulkhead: Bulkhead | undefined;
  failover: FailoverPolicy<UpstreamResponse>;
  /** The route's own upstreams, in failover order. */
  upstreams: CompiledUpstream[];
  /** Every provider any of the route's tiers calls. */
  byKey: Map<string, CompiledUpstream>;
  chain: FallbackChain<Answer> | undefined;
  cache: LastGoodCache<UpstreamResponse> | undefined;
}

/**
 * @example
 *   const router = createRouter({ config, transport: mswTransport(handlers), clock: new FakeClock() });
 *   const res = await router.handle({ method: 'GET', path: '/joke', headers: {} });
 */
export function createRouter(opts: RouterOptions): Router {
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? seededRng(1);
  // Policies that draw (throttle, queue tickets) get streams of their own, made only when
  // configured, so adding one does not shift the jitter draws of a config without it.
  const childRng = () => seededRng(Math.floor(rng.next() * 0x7fff_ffff));
  const metrics = opts.metrics ?? new RouterMetrics();
  const transport = opts.transport;
  const config = opts.config;
  const providers = new ProviderRegistry(
    config.providers.map(({ key, name, region, url }) => ({ key, name, url, ...(region !== undefined && { region }) })),
    opts.upstreams,
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
  const budgets = new Map<string, RetryBudget>();
  const routeBulkheads = new Map<string, Bulkhead>();
  const queues = new Map<string, ManualQueue<{ method: string; path: string; body?: Uint8Array }>>();

  const routes: CompiledRoute[] = config.routes.map((rc) => {
    const label = rc.match;
    const failoverOn = conditionSet(rc.failoverOn);
    const timeout = new TimeoutPolicy(rc.timeout, clock);
    disposers.push(() => timeout.dispose());

    // Every provider the route can call: its upstreams and those of its fallback tiers.
    const keys = [...rc.upstreams];
    for (const t of rc.fallback?.tiers ?? []) if (t.tier === 'upstreams') for (const k of t.upstreams) if (!keys.includes(k)) keys.push(k);

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

    const byKey = new Map<string, CompiledUpstream>();
    for (const key of keys) {
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
      byKey.set(key, {
        provider,
        breaker,
        skip,
        pipeline: wrap(retry, throttles.get(key) ?? noop, bulkheads.get(key) ?? noop, breaker ?? noop, outlierPolicy),
      });
      metrics.zeroDuration(label, key, 'success');
    }

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

    const route: CompiledRoute = {
      config: rc,
      label,
      test: compileMatch(rc.match),
      timeout,
      deadline: undefined,
      rateLimit,
      bulkhead,
      failover: new FailoverPolicy<UpstreamResponse>({
        failedResult: (r) => (failoverOn.status(r.status) ? { reason: r.status >= 500 ? '5xx' : '4xx', status: r.status } : undefined),
        failOverOnError: (e, reason) => reason === 'breaker_open' || failoverOn.error(e),
        onFailover: (from, to, reason) => metrics.failover(from, to, reason),
      }),
      upstreams: rc.upstreams.map((k) => byKey.get(k)!),
      byKey,
      chain: undefined,
      cache: undefined,
    };

    if (rc.fallback) {
      const tiers = rc.fallback.tiers.map((t) => makeTier(route, t));
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
  });

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

  function makeTier(route: CompiledRoute, t: FallbackTierConfig): FallbackTier<Answer> {
    switch (t.tier) {
      case 'upstreams': {
        const targets = t.upstreams.map((k) => route.byKey.get(k)!);
        return { name: t.name, local: false, run: (ctx) => callUpstreams(route, targets, ctx) };
      }
      case 'cache': {
        const cache = new LastGoodCache<UpstreamResponse>(t.maxEntries, t.maxAge, clock);
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
        const queue = new ManualQueue<{ method: string; path: string; body?: Uint8Array }>(t.capacity, clock, childRng());
        queues.set(route.label, queue);
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

  // Tiers get only the PolicyContext; the request rides along in it.
  const requestOf = (ctx: PolicyContext): RouterRequest => ctx.request as RouterRequest;
  const cacheKey = (ctx: PolicyContext): string | undefined => {
    const req = requestOf(ctx);
    return req.method === 'GET' || req.method === 'HEAD' ? `${req.method} ${req.path}` : undefined;
  };

  /** The route bulkhead, then failover over `targets`; a good GET answer is remembered for a cache tier. */
  async function callUpstreams(route: CompiledRoute, targets: CompiledUpstream[], ctx: PolicyContext): Promise<Answer> {
    const req = requestOf(ctx);
    const upstreamReq: UpstreamRequest = { method: req.method, path: req.path, headers: forwardHeaders(req.headers), ...(req.body && { body: req.body }) };
    const list: FailoverTarget<UpstreamResponse>[] = targets.map((u) => ({
      key: u.provider.key,
      ...(u.skip && { skip: u.skip }),
      run: (c: PolicyContext) => u.pipeline.execute((a) => attempt(route.timeout, u.provider, upstreamReq, a), c),
    }));
    const run = (c: PolicyContext) => route.failover.execute(list, c);
    const { value, key } = route.bulkhead ? await route.bulkhead.execute(run, ctx) : await run(ctx);
    if (route.cache && value.status >= 200 && value.status < 300) {
      const k = cacheKey(ctx);
      if (k !== undefined) route.cache.store(k, value);
    }
    const headers = responseHeaders(value.headers);
    return { status: value.status, headers, body: value.body, provider: key };
  }

  async function handle(req: RouterRequest): Promise<RouterResponse> {
    const started = clock.now();
    const q = req.path.indexOf('?');
    const pathname = q < 0 ? req.path : req.path.slice(0, q);
    const route = routes.find((r) => r.test(pathname));
    if (!route) {
      // The router-wide limit covers requests no route takes too: probing for paths is traffic.
      const wait = globalLimiter?.take(clientAddress(req.remoteAddress, req.headers['x-forwarded-for'], trusted)) ?? 0;
      if (wait > 0) {
        metrics.limited('none', 'global');
        metrics.request('none', 'none', 'rate_limited', 0);
        const res = json(429, { error: 'rate_limited', message: 'too many requests' });
        res.headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)));
        return res;
      }
      metrics.request('none', 'none', 'no_route', 0);
      return json(404, {
        error: 'no_route',
        message: `no route matches ${req.method} ${pathname}`,
        routes: routes.map((r) => r.config.match),
      });
    }

    let outcome: RequestOutcome = 'success';
    let answeredBy = 'none';
    try {
      // Rate limits first: they are the cheapest refusal and the one a flood must hit.
      if (globalLimiter || route.rateLimit) {
        const client = clientAddress(req.remoteAddress, req.headers['x-forwarded-for'], trusted);
        for (const [limiter, scope] of [
          [globalLimiter, 'global'],
          [route.rateLimit, 'route'],
        ] as const) {
          const wait = limiter?.take(client) ?? 0;
          if (wait > 0) {
            outcome = 'rate_limited';
            metrics.limited(route.label, scope);
            const res = json(429, { error: 'rate_limited', message: `too many requests from ${client}`, route: route.label });
            res.headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)));
            return res;
          }
        }
      }
      const ctx: PolicyContext = { method: req.method, request: req, ...(req.signal && { signal: req.signal }) };
      if (shedder) {
        const header = priorityHeader === undefined ? undefined : req.headers[priorityHeader];
        ctx.priority = shedder.priorityOf((Array.isArray(header) ? header[0] : header) ?? route.config.priority);
      }
      const run = (c: PolicyContext) => answer(route, c);
      const a = shedder ? await shedder.execute(run, ctx) : await run(ctx);
      answeredBy = a.provider;
      if (a.headers[FALLBACK_HEADER] !== undefined) outcome = 'fallback';
      a.headers[PROVIDER_HEADER] = a.provider;
      return { status: a.status, headers: a.headers, body: a.body };
    } catch (err) {
      const { res, outcome: o } = failure(route, req, err);
      outcome = o;
      return res;
    } finally {
      metrics.request(route.label, answeredBy, outcome, (clock.now() - started) / 1000);
    }
  }

  /** The route's answer: its fallback chain, or its upstreams under its deadline. */
  async function answer(route: CompiledRoute, ctx: PolicyContext): Promise<Answer> {
    if (route.chain) {
      const r = await route.chain.execute(ctx);
      if (r.index > 0) r.value.headers[FALLBACK_HEADER] = r.tier;
      return r.value;
    }
    const run = (c: PolicyContext) => callUpstreams(route, route.upstreams, c);
    return route.deadline ? route.deadline.execute(run, ctx) : run(ctx);
  }

  /** An error as the router's own answer, and its outcome label. */
  function failure(route: CompiledRoute, req: RouterRequest, err: unknown): { res: RouterResponse; outcome: RequestOutcome } {
    // A fallback chain that found no answer fails for the reason its first tier did.
    if (isFallbackExhaustedError(err)) {
      if (err.deadlineExceeded) return deadlineAnswer(route, err.message);
      const first = err.missed.find((m) => m.error !== undefined);
      if (first) return failure(route, req, first.error);
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
    if (isAllTargetsFailedError(err)) {
      if (err.noneCalled) {
        const retryAt = Math.min(...route.upstreams.map((u) => u.breaker?.retryAt() ?? Infinity));
        const res = json(503, { error: err.allBreakersOpen ? 'circuit_open' : 'upstreams_unavailable', message: err.message, route: route.label, attempts: err.attempts });
        res.headers['retry-after'] = String(Number.isFinite(retryAt) ? Math.max(1, Math.ceil((retryAt - clock.now()) / 1000)) : 1);
        return { res, outcome: 'rejected' };
      }
      return { res: json(502, { error: 'upstreams_failed', message: err.message, route: route.label, attempts: err.attempts }), outcome: 'failure' };
    }
    return { res: json(502, { error: 'upstream_error', message: err instanceof Error ? err.message : String(err), route: route.label }), outcome: 'failure' };
  }

  function deadlineAnswer(route: CompiledRoute, message: string): { res: RouterResponse; outcome: RequestOutcome } {
    return { res: json(504, { error: 'deadline_exceeded', message, route: route.label, deadlineMs: route.config.deadline }), outcome: 'deadline_exceeded' };
  }

  /** One call to one provider, under the route's per-attempt timeout, counted by its status. */
  async function attempt(timeout: TimeoutPolicy, provider: Provider, req: UpstreamRequest, ctx: PolicyContext): Promise<UpstreamResponse> {
    try {
      const res = await timeout.execute((c) => transport.send(provider, { ...req, ...(c.signal && { signal: c.signal }) }), ctx);
      metrics.attempt(provider.key, res.status);
      return res;
    } catch (err) {
      metrics.attempt(provider.key, isTimeoutError(err) ? 'timeout' : isNetworkError(err) ? 'network' : isDeadlineExceededError(err) ? 'deadline' : 'aborted');
      throw err;
    }
  }

  return {
    handle,
    metrics,
    providers,
    breakers,
    policies: { bulkheads, routeBulkheads, throttles, outliers, budgets, rateLimiters, queues, shedder },
    async close() {
      for (const off of unsubscribe) off();
      for (const dispose of disposers) dispose();
      await transport.close();
    },
  };
}

/**
 * `/joke` matches exactly; `*` matches one path segment; a trailing `/**` matches the
 * path itself and anything below it (`/weather/**` takes `/weather` and `/weather/oslo`).
 */
export function compileMatch(pattern: string): (path: string) => boolean {
  if (!pattern.includes('*')) return (path) => path === pattern;
  let source = '';
  const parts = pattern.split('/');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '**' && i === parts.length - 1) source += '(?:/.*)?';
    else if (part === '**') source += '(?:/[^/]+)*';
    else source += '/' + part.split('*').map(escapeRegExp).join('[^/]+');
  }
  const re = new RegExp(`^${source}$`);
  return (path) => re.test(path);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// RFC 9110 §7.6.1: connection-specific fields are not forwarded; content-length is
// recomputed from the body actually sent.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

function forwardHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const v = headers[key];
    if (v !== undefined && !HOP_BY_HOP.has(key)) out[key] = v;
  }
  return out;
}

function responseHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) if (!HOP_BY_HOP.has(key)) out[key] = headers[key]!;
  return out;
}

const encoder = new TextEncoder();

function json(status: number, body: unknown): RouterResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', [PROVIDER_HEADER]: 'none' },
    body: encoder.encode(JSON.stringify(body)),
  };
}
