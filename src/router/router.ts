/**
 * The router without sockets: a request value in, a response value out. `server.ts` puts
 * it behind node:http; tests call `handle` directly with the MSW transport and a FakeClock;
 * the simulator can drive it in virtual time.
 *
 * `createRouter` builds the router's state from its config once (build.ts: every policy by
 * scope, every compiled route) and answers each request against it (handle.ts, whose header
 * gives the order a request passes the policies and routing in; plan.ts orders the providers,
 * failure.ts turns a failure into the router's own answer). The request and response values
 * and the x-faultline headers are in messages.ts.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import { buildRouterState } from './build.ts';
import type { RouterConfig } from './config.ts';
import { bodyLimit, callUpstreams, handle } from './handle.ts';
import type { RouterRequest, RouterResponse } from './messages.ts';
import { RouterMetrics } from './metrics.ts';
import type { CircuitBreaker } from './policies/breaker.ts';
import type { RetryBudget } from './policies/budget.ts';
import type { Bulkhead } from './policies/bulkhead.ts';
import type { ManualQueue } from './policies/fallback.ts';
import type { OutlierDetector } from './policies/outlier.ts';
import type { RateLimiter } from './policies/ratelimit.ts';
import type { LoadShedder } from './policies/shedding.ts';
import type { AdaptiveThrottle } from './policies/throttle.ts';
import type { ProviderRegistry } from './providers.ts';
import type { Canary } from './routing/canary.ts';
import type { Transport, UpstreamResponse } from './transport.ts';

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
  /** By route label. */
  readonly canaries: ReadonlyMap<string, Canary>;
}

export interface Router {
  handle(req: RouterRequest): Promise<RouterResponse>;
  /**
   * The most body bytes a request to `target` (path and query, as received) may carry: its
   * route's `maxRequestBody`, else the router's. `handle` answers 413 past it; server.ts asks
   * before reading a body, so an oversized one is refused before it is buffered or forwarded.
   */
  bodyLimit(target: string): number;
  readonly metrics: RouterMetrics;
  readonly providers: ProviderRegistry;
  /** Breakers by provider key. */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
  readonly policies: RouterPolicies;
  /** Stops the policies' timers and closes the transport. */
  close(): Promise<void>;
}

/**
 * @example
 *   const router = createRouter({ config, transport: mswTransport(handlers), clock: new FakeClock() });
 *   const res = await router.handle({ method: 'GET', path: '/joke', headers: {} });
 */
export function createRouter(opts: RouterOptions): Router {
  const state = buildRouterState(
    {
      config: opts.config,
      transport: opts.transport,
      upstreams: opts.upstreams,
      clock: opts.clock ?? systemClock,
      rng: opts.rng ?? seededRng(1),
      metrics: opts.metrics ?? new RouterMetrics(),
    },
    callUpstreams,
  );
  const { bulkheads, routeBulkheads, throttles, outliers, budgets, rateLimiters, queues, shedder, canaries } = state;
  return {
    handle: (req) => handle(state, req),
    bodyLimit: (target) => bodyLimit(state, target),
    metrics: state.metrics,
    providers: state.providers,
    breakers: state.breakers,
    policies: { bulkheads, routeBulkheads, throttles, outliers, budgets, rateLimiters, queues, shedder, canaries },
    async close() {
      for (const off of state.unsubscribe) off();
      for (const dispose of state.disposers) dispose();
      await state.transport.close();
    },
  };
}
