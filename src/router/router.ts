/**
 * The router without sockets: a request value in, a response value out. `server.ts` puts
 * it behind node:http; tests call `handle` directly with the MSW transport and a FakeClock;
 * the simulator can drive it in virtual time.
 *
 * Per request: match a route → failover over its upstreams, each upstream through its own
 * pipeline `retry → breaker → [count attempt] → timeout → transport`:
 *
 * - retry is per route and provider (its metric names both), retrying the same provider;
 * - the breaker is per provider key, shared by every route that calls the provider, since
 *   a provider's health is not a property of the route;
 * - the timeout is per attempt, one shared deadline queue per route.
 *
 * Later policies (bulkhead, rate limit, retry budget, outlier detection, load shedding)
 * slot into `wrap(...)` below or, for routing by cost/region/canary, into how `targets`
 * are ordered per request.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import { conditionSet } from './conditions.ts';
import type { RouteConfig, RouterConfig } from './config.ts';
import { RouterMetrics, type RequestOutcome } from './metrics.ts';
import { CircuitBreaker } from './policies/breaker.ts';
import { isCallerAbortedError, isNetworkError, isTimeoutError } from './policies/errors.ts';
import { FailoverPolicy, isAllTargetsFailedError, type FailoverTarget } from './policies/failover.ts';
import { noop, wrap, type Policy, type PolicyContext } from './policies/policy.ts';
import { parseRetryAfter, RetryPolicy } from './policies/retry.ts';
import { TimeoutPolicy } from './policies/timeout.ts';
import { ProviderRegistry, type Provider } from './providers.ts';
import type { Transport, UpstreamRequest, UpstreamResponse } from './transport.ts';

/** Names who answered: a provider key, or `none` when the router answered itself. */
export const PROVIDER_HEADER = 'x-faultline-provider';

export interface RouterRequest {
  method: string;
  /** Path with query, as received: `/weather/oslo?units=metric`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Uint8Array;
  /** Aborts when the client goes away. */
  signal?: AbortSignal;
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

export interface Router {
  handle(req: RouterRequest): Promise<RouterResponse>;
  readonly metrics: RouterMetrics;
  readonly providers: ProviderRegistry;
  /** Breakers by provider key. */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
  /** Stops the policies' timers and closes the transport. */
  close(): Promise<void>;
}

interface CompiledRoute {
  config: RouteConfig;
  label: string;
  test: (path: string) => boolean;
  timeout: TimeoutPolicy;
  failover: FailoverPolicy<UpstreamResponse>;
  upstreams: Array<{ provider: Provider; pipeline: Policy; breaker: CircuitBreaker | undefined }>;
}

/**
 * @example
 *   const router = createRouter({ config, transport: mswTransport(handlers), clock: new FakeClock() });
 *   const res = await router.handle({ method: 'GET', path: '/joke', headers: {} });
 */
export function createRouter(opts: RouterOptions): Router {
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? seededRng(1);
  const metrics = opts.metrics ?? new RouterMetrics();
  const transport = opts.transport;
  const providers = new ProviderRegistry(
    opts.config.providers.map(({ key, name, region, url }) => ({ key, name, url, ...(region !== undefined && { region }) })),
    opts.upstreams,
  );

  const breakers = new Map<string, CircuitBreaker>();
  const unsubscribe: Array<() => void> = [];
  for (const p of opts.config.providers) {
    if (!p.breaker) continue;
    const failureOn = conditionSet(p.breaker.failureOn);
    const breaker = new CircuitBreaker(p.breaker, clock, {
      result: (r) => failureOn.status((r as UpstreamResponse).status),
      error: (e) => failureOn.error(e),
    });
    breakers.set(p.key, breaker);
    unsubscribe.push(metrics.watchBreaker(p.name, p.region, breaker));
  }

  const routes: CompiledRoute[] = opts.config.routes.map((config) => {
    const failoverOn = conditionSet(config.failoverOn);
    const label = config.match;
    const upstreams = config.upstreams.map((key) => {
      const provider = providers.get(key)!;
      const breaker = breakers.get(key);
      let retry: Policy = noop;
      if (config.retry) {
        const retryOn = conditionSet(config.retry.on);
        retry = new RetryPolicy<UpstreamResponse>(
          {
            maxAttempts: config.retry.maxAttempts,
            backoff: config.retry.backoff,
            retryOnResult: (r) => retryOn.status(r.status),
            retryOnError: (e) => retryOn.error(e),
            retryAfter: (r) => parseRetryAfter(r.headers['retry-after'], clock.now()),
            retryAfterCap: config.retry.retryAfterCap,
            retryNonIdempotent: !config.retry.idempotentOnly,
            onRetry: () => metrics.retry(label, key),
          },
          clock,
          rng,
        );
      }
      return { provider, breaker, pipeline: wrap(retry, breaker ?? noop) };
    });
    return {
      config,
      label,
      test: compileMatch(config.match),
      timeout: new TimeoutPolicy(config.timeout, clock),
      failover: new FailoverPolicy<UpstreamResponse>({
        failedResult: (r) => (failoverOn.status(r.status) ? { reason: r.status >= 500 ? '5xx' : '4xx', status: r.status } : undefined),
        failOverOnError: (e, reason) => reason === 'breaker_open' || failoverOn.error(e),
        onFailover: (from, to, reason) => metrics.failover(from, to, reason),
      }),
      upstreams,
    };
  });

  async function handle(req: RouterRequest): Promise<RouterResponse> {
    const started = clock.now();
    const q = req.path.indexOf('?');
    const pathname = q < 0 ? req.path : req.path.slice(0, q);
    const route = routes.find((r) => r.test(pathname));
    if (!route) {
      metrics.request('none', 'none', 'no_route', 0);
      return json(404, {
        error: 'no_route',
        message: `no route matches ${req.method} ${pathname}`,
        routes: routes.map((r) => r.config.match),
      });
    }

    const upstreamReq: UpstreamRequest = { method: req.method, path: req.path, headers: forwardHeaders(req.headers), ...(req.body && { body: req.body }) };
    const ctx: PolicyContext = { method: req.method, ...(req.signal && { signal: req.signal }) };
    const targets: FailoverTarget<UpstreamResponse>[] = route.upstreams.map((u) => ({
      key: u.provider.key,
      ...(u.breaker && { available: () => u.breaker!.isCallPermitted() }),
      run: (c: PolicyContext) => u.pipeline.execute((a) => attempt(route.timeout, u.provider, upstreamReq, a), c),
    }));

    let outcome: RequestOutcome = 'success';
    let answeredBy = 'none';
    try {
      const { value, key } = await route.failover.execute(targets, ctx);
      answeredBy = key;
      const headers = responseHeaders(value.headers);
      headers[PROVIDER_HEADER] = key;
      return { status: value.status, headers, body: value.body };
    } catch (err) {
      if (req.signal?.aborted || isCallerAbortedError(err)) {
        outcome = 'aborted';
        // 499, nginx's "client closed request": nobody reads it, but logs and tests can.
        return json(499, { error: 'client_closed_request', message: 'the client went away before an answer' });
      }
      if (isAllTargetsFailedError(err)) {
        if (err.allBreakersOpen) {
          outcome = 'rejected';
          const retryAt = Math.min(...route.upstreams.map((u) => u.breaker?.retryAt() ?? Infinity));
          const res = json(503, { error: 'circuit_open', message: err.message, route: route.label, attempts: err.attempts });
          if (Number.isFinite(retryAt)) res.headers['retry-after'] = String(Math.max(1, Math.ceil((retryAt - clock.now()) / 1000)));
          return res;
        }
        outcome = 'failure';
        return json(502, { error: 'upstreams_failed', message: err.message, route: route.label, attempts: err.attempts });
      }
      outcome = 'failure';
      return json(502, { error: 'upstream_error', message: err instanceof Error ? err.message : String(err), route: route.label });
    } finally {
      metrics.request(route.label, answeredBy, outcome, (clock.now() - started) / 1000);
    }
  }

  /** One call to one provider, under the route's per-attempt timeout, counted by its status. */
  async function attempt(timeout: TimeoutPolicy, provider: Provider, req: UpstreamRequest, ctx: PolicyContext): Promise<UpstreamResponse> {
    try {
      const res = await timeout.execute((c) => transport.send(provider, { ...req, ...(c.signal && { signal: c.signal }) }), ctx);
      metrics.attempt(provider.key, res.status);
      return res;
    } catch (err) {
      metrics.attempt(provider.key, isTimeoutError(err) ? 'timeout' : isNetworkError(err) ? 'network' : 'aborted');
      throw err;
    }
  }

  return {
    handle,
    metrics,
    providers,
    breakers,
    async close() {
      for (const off of unsubscribe) off();
      for (const r of routes) r.timeout.dispose();
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
