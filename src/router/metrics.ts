/**
 * The router's Prometheus metrics, named as practitioners expect (Prometheus conventions:
 * snake_case, `_total` counters, base units in the name, `_seconds`).
 *
 * | metric                                  | type      | labels                          |
 * |-----------------------------------------|-----------|---------------------------------|
 * | retry_attempts_total                    | counter   | route, provider                 |
 * | upstream_attempts_total                 | counter   | provider, status                |
 * | failover_invocations_total              | counter   | from, to, reason                |
 * | circuit_breaker_state                   | gauge     | provider, region                |
 * | circuit_breaker_transitions_total       | counter   | provider, region, from, to      |
 * | router_request_duration_seconds         | histogram | route, provider, outcome        |
 * | retry_budget_exhausted_total            | counter   | route, provider                 |
 * | bulkhead_rejections_total               | counter   | scope, name, reason             |
 * | load_shed_total                         | counter   | priority                        |
 * | rate_limited_total                      | counter   | route, limit                    |
 * | adaptive_throttling_rejections_total    | counter   | provider                        |
 * | outlier_ejections_total                 | counter   | route, provider, reason         |
 * | fallback_invocations_total              | counter   | route, tier                     |
 * | routing_decisions_total                 | counter   | route, provider, reason         |
 * | provider_cost_total                     | counter   | provider, currency              |
 * | provider_cost_extra_total               | counter   | provider, currency              |
 * | canary_state                            | gauge     | route                           |
 * | canary_requests_total                   | counter   | route, arm, outcome             |
 * | auth_rejections_total                   | counter   | route, reason                   |
 * | llm_requests_total                      | counter   | route, class, model             |
 *
 * Label values:
 * - `provider` is the provider key (`weather-primary`, `stripe@eu`), except on the two
 *   circuit_breaker_* metrics, where it is the bare name and `region` is separate
 *   (`provider="stripe", region="eu"`; `region=""` for a provider without regions).
 * - `circuit_breaker_state`: 0 closed, 1 open, 2 half-open (Resilience4j's micrometer
 *   binding exports one series per state instead; one series with a code plots as a step line).
 * - `status`: the HTTP status (`503`), or `timeout`, `network`, `aborted` when no response came.
 * - `status` may also be `deadline`: the request's deadline cut the attempt.
 * - `reason` (failover): `breaker_open`, `ejected`, `bulkhead_full`, `throttled` (the
 *   provider was not called), `timeout`, `network`, `5xx`, `4xx`, `error`.
 * - `outcome`: `success` (an upstream answered and the router passed it on), `failure`
 *   (all upstreams failed: 502), `rejected` (no upstream could be called — breakers open,
 *   ejected, full: 503), `no_route` (404), `aborted` (the client left first), `shed` (load
 *   shedding: 503), `rate_limited` (429), `deadline_exceeded` (504), `fallback` (a cache,
 *   static or queue tier answered), `unauthorized` (401), `bad_request` (400: a path that
 *   cannot be normalised, see path.ts; route `none`), `too_large` (413: a body over the
 *   route's `maxRequestBody`). `provider` is `none` when no
 *   provider answered. `rejected` also covers a route's routing refusing a request (503: no
 *   compliant or available provider, no available model).
 * - `bulkhead_rejections_total`: `scope` is `route` (name: the route) or `provider` (name: the
 *   provider key); `reason` is `full` or `queue_timeout`.
 * - `rate_limited_total`: `limit` is `global` (the router-wide limit) or `route`.
 * - `outlier_ejections_total`: `reason` is `consecutive_5xx` or `failure_percentage`.
 * - `fallback_invocations_total`: counted when the chain moves on to `tier` (never for the first).
 * - `failover_invocations_total` also counts the failover `select` or an LLM plan makes
 *   before any call, when the provider that would lead (the cheapest compliant one, the
 *   class's first model) is passed over: `reason` is why, `breaker_open` or `ejected` as when
 *   the failover loop skips it, or `degraded` (its breaker is closed but past `degradedAt`).
 *   Compliance is not a failover: an EU payment's leader is the cheapest EU-compliant provider.
 * - `routing_decisions_total`: one per request on a route with `select` or `llm`. `provider`
 *   leads the order (`none` when none may serve it). `select`'s `reason`: `cheapest_healthy`,
 *   `degraded`, `last_resort`, `unavailable` (placement of the leader), or
 *   `no_compliant_provider`, `no_available_provider` (503); an LLM route's: the registry rule
 *   that chose the class (`default` when none did), or `no_available_model` (503).
 * - `provider_cost_total`: what answered requests cost at `provider`, in the request's
 *   `currency` (`unknown` when it says none): a payment's fee (rate × amount + fixed), an LLM
 *   call's tokens at the model's prices (its `usage`, else the estimate). Only 2xx answers
 *   cost. `provider_cost_extra_total`: the part above what the cheapest compliant provider
 *   (an LLM route: the class's first model) would have charged: the cost of failing over.
 * - `canary_state`: 0 canary (the share is live), 1 rolled back, 2 promoted.
 * - `canary_requests_total`: requests ended on each `arm` (`baseline`, `canary`), by
 *   `outcome` (`success`: answered by a provider, below 500; `error` otherwise). Requests
 *   refused before an arm was chosen, shed or abandoned by the client are not counted.
 * - `auth_rejections_total`: 401s, by `reason`: `missing_token`, `malformed`,
 *   `alg_not_allowed` (`alg: none`, an algorithm not allowed, algorithm confusion),
 *   `unknown_key`, `bad_signature`, `expired`, `not_yet_valid`, `wrong_issuer`,
 *   `wrong_audience`, `missing_claim`, `invalid_claims`.
 * - `llm_requests_total`: answers on an LLM route, by request `class` and the registry
 *   `model` that gave them.
 *
 * Series whose zero means something ("no retry was refused", "nothing was shed") are created
 * at zero when the policy is set up, so a dashboard or an SLO sees 0 rather than no data.
 *
 * Each metric lives in the router's own Registry, not prom-client's global one, so two
 * routers in one process (tests) do not share counters. No default process metrics: the
 * harness measures the process from outside.
 *
 * prom-client validates and hashes a label set on every `inc()` and `observe()`, which under
 * load cost the router more CPU than all its policies together. So the request path only adds
 * to plain numbers (a `Tally` per counter series, a `DurationSeries` per histogram series,
 * each found once and kept), and prom-client receives them at scrape time: counters through
 * their `collect()` hook, the duration histogram as a metric of its own that hands the
 * Registry the same values a prom-client Histogram would. The exposition is unchanged.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { BreakerStateKind, CircuitBreaker } from './policies/breaker.ts';
import type { FailoverReason } from './policies/failover.ts';
import type { AuthFailure } from './routing/auth.ts';
import type { Canary, CanaryArm, CanaryState } from './routing/canary.ts';

/**
 * Every series name the router's /metrics can show, with the labels each carries: what an SLO
 * may read from the reference router, known before a run (a histogram gives its `_bucket`
 * (with `le`), `_sum` and `_count`).
 *
 * @example routerMetricNames().get('failover_invocations_total') // ['from', 'to', 'reason']
 */
export function routerMetricNames(): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  const histogramLabels = ['route', 'provider', 'outcome'];
  for (const m of new RouterMetrics().registry.getMetricsAsArray()) {
    const { name, type, labelNames } = m as unknown as { name: string; type: string; labelNames?: string[] };
    if (type === 'histogram') {
      out.set(`${name}_bucket`, [...histogramLabels, 'le']);
      out.set(`${name}_sum`, histogramLabels);
      out.set(`${name}_count`, histogramLabels);
    } else out.set(name, labelNames ?? []);
  }
  return out;
}

/** Why a provider was passed over: the failover loop's reasons, and `degraded` (selection only). */
export type PassOverReason = FailoverReason | 'degraded';

/** The gauge encoding of canary states. */
export const CANARY_STATE_CODE: Record<CanaryState['kind'], number> = { canary: 0, 'rolled-back': 1, promoted: 2 };

export type RequestOutcome =
  | 'success'
  | 'failure'
  | 'rejected'
  | 'no_route'
  | 'aborted'
  | 'shed'
  | 'rate_limited'
  | 'deadline_exceeded'
  | 'fallback'
  | 'unauthorized'
  | 'bad_request'
  | 'too_large';

/** The gauge encoding of breaker states. */
export const BREAKER_STATE_CODE: Record<BreakerStateKind, number> = { closed: 0, open: 1, 'half-open': 2 };

/** Request-duration buckets, seconds: 1ms to 10s, dense where timeouts and backoffs sit. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * @example
 *   const metrics = new RouterMetrics();
 *   metrics.attempt('joke', 503);
 *   const text = await metrics.registry.metrics();
 */
export class RouterMetrics {
  readonly registry = new Registry();
  readonly retries: Counter<'route' | 'provider'>;
  readonly attempts: Counter<'provider' | 'status'>;
  readonly failovers: Counter<'from' | 'to' | 'reason'>;
  readonly breakerState: Gauge<'provider' | 'region'>;
  readonly breakerTransitions: Counter<'provider' | 'region' | 'from' | 'to'>;
  readonly requestDuration: DurationHistogram;
  readonly budgetExhausted: Counter<'route' | 'provider'>;
  readonly bulkheadRejections: Counter<'scope' | 'name' | 'reason'>;
  readonly loadShed: Counter<'priority'>;
  readonly rateLimited: Counter<'route' | 'limit'>;
  readonly throttled: Counter<'provider'>;
  readonly outlierEjections: Counter<'route' | 'provider' | 'reason'>;
  readonly fallbacks: Counter<'route' | 'tier'>;
  readonly routingDecisions: Counter<'route' | 'provider' | 'reason'>;
  readonly providerCost: Counter<'provider' | 'currency'>;
  readonly providerCostExtra: Counter<'provider' | 'currency'>;
  readonly canaryState: Gauge<'route'>;
  readonly canaryRequests: Counter<'route' | 'arm' | 'outcome'>;
  readonly authRejections: Counter<'route' | 'reason'>;
  readonly llmRequests: Counter<'route' | 'class' | 'model'>;

  /** Counter series by metric and joined label values, each found once and kept. */
  readonly #tallies = new Map<string, Tally>();
  /** The hottest two, by nested keys: no string is built per request. */
  readonly #attemptTallies = new Map<string, Map<number | string, Tally>>();
  readonly #durations = new Map<string, Map<string, Map<RequestOutcome, DurationSeries>>>();
  readonly #breakers: Array<{ name: string; region: string; breaker: CircuitBreaker }> = [];
  readonly #canaries: Array<{ route: string; canary: Canary }> = [];

  constructor() {
    const registers = [this.registry];
    const tallies = this.#tallies;
    // Each counter takes what its tallies counted since the last scrape, when scraped.
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          for (const t of tallies.values()) if (t.counter === this && t.pending !== 0) t.flush();
        },
      });
    this.retries = counter('retry_attempts_total', 'Retries made against a provider: attempts after the first one of a request.', ['route', 'provider']);
    this.attempts = counter('upstream_attempts_total', 'Calls to a provider, by the HTTP status it answered with, or timeout/network/aborted.', ['provider', 'status']);
    this.failovers = counter('failover_invocations_total', 'Requests moved from one provider to the next, by why the first was passed over.', ['from', 'to', 'reason']);
    const breakers = this.#breakers;
    this.breakerState = new Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state per provider: 0 closed, 1 open, 2 half-open.',
      labelNames: ['provider', 'region'],
      registers,
      // Read at scrape time: an open breaker whose wait has passed is half-open even if no
      // request has arrived to notice.
      collect() {
        for (const b of breakers) this.set({ provider: b.name, region: b.region }, BREAKER_STATE_CODE[b.breaker.state().kind]);
      },
    });
    this.breakerTransitions = counter('circuit_breaker_transitions_total', 'Circuit breaker state changes per provider.', ['provider', 'region', 'from', 'to']);
    this.requestDuration = new DurationHistogram(
      'router_request_duration_seconds',
      'Time from a request reaching the router to its answer, by route, answering provider and outcome.',
      DURATION_BUCKETS,
    );
    this.registry.registerMetric(this.requestDuration as never);
    this.budgetExhausted = counter('retry_budget_exhausted_total', 'Retries a route wanted but its retry budget refused.', ['route', 'provider']);
    this.bulkheadRejections = counter('bulkhead_rejections_total', 'Calls a bulkhead refused: its slots and queue were full, or the wait in its queue ran out.', ['scope', 'name', 'reason']);
    this.loadShed = counter('load_shed_total', 'Requests dropped by load shedding, by priority.', ['priority']);
    this.rateLimited = counter('rate_limited_total', 'Requests answered 429 because their client exceeded a rate limit.', ['route', 'limit']);
    this.throttled = counter('adaptive_throttling_rejections_total', 'Calls rejected locally by adaptive throttling, because the provider accepted too few recent requests.', ['provider']);
    this.outlierEjections = counter('outlier_ejections_total', "Providers ejected from a route's rotation by outlier detection.", ['route', 'provider', 'reason']);
    this.fallbacks = counter('fallback_invocations_total', "Requests a route's fallback chain moved on to a tier for, after the tiers before it did not answer.", ['route', 'tier']);
    this.routingDecisions = counter('routing_decisions_total', 'Requests ordered by provider selection or LLM routing, by the provider that leads the order and why (or why there is none).', ['route', 'provider', 'reason']);
    this.providerCost = counter('provider_cost_total', "What answered requests cost at each provider, in the request's currency: payment fees, LLM tokens at the model's prices.", ['provider', 'currency']);
    this.providerCostExtra = counter('provider_cost_extra_total', 'The part of provider_cost_total above what the cheapest compliant provider (or the first model of the class) would have charged: the cost of failing over.', ['provider', 'currency']);
    const canaries = this.#canaries;
    this.canaryState = new Gauge({
      name: 'canary_state',
      help: "A route's canary: 0 canary (the share is live), 1 rolled back, 2 promoted.",
      labelNames: ['route'],
      registers,
      collect() {
        for (const c of canaries) this.set({ route: c.route }, CANARY_STATE_CODE[c.canary.state().kind]);
      },
    });
    this.canaryRequests = counter('canary_requests_total', "Requests ended on a canary route's arm (baseline or canary), by outcome (success or error).", ['route', 'arm', 'outcome']);
    this.authRejections = counter('auth_rejections_total', 'Requests refused with 401 on an authenticated route, by reason.', ['route', 'reason']);
    this.llmRequests = counter('llm_requests_total', 'Answers on an LLM route, by the request class and the registry model that gave them.', ['route', 'class', 'model']);
  }

  /** Creates the series of one counter (or histogram) at zero, where "none yet" is worth seeing. */
  zero(
    metric:
      | 'retries'
      | 'budgetExhausted'
      | 'bulkheadRejections'
      | 'loadShed'
      | 'rateLimited'
      | 'throttled'
      | 'outlierEjections'
      | 'fallbacks'
      | 'routingDecisions'
      | 'canaryRequests'
      | 'authRejections'
      | 'llmRequests',
    ...values: string[]
  ): void {
    (this[metric] as Counter<string>).labels(...values).inc(0);
  }

  /** Creates a request-duration series with no observations (a route's answers from one provider). */
  zeroDuration(route: string, provider: string, outcome: RequestOutcome): void {
    this.#duration(route, provider, outcome);
  }

  budgetRefused(route: string, provider: string): void {
    this.#counter(this.budgetExhausted, 'b', route, provider).inc();
  }

  bulkheadRejected(scope: 'route' | 'provider', name: string, reason: 'full' | 'queue_timeout'): void {
    this.#counter(this.bulkheadRejections, 'k', scope, name, reason).inc();
  }

  shed(priority: string): void {
    this.#counter(this.loadShed, 's', priority).inc();
  }

  limited(route: string, limit: 'global' | 'route'): void {
    this.#counter(this.rateLimited, 'l', route, limit).inc();
  }

  throttle(provider: string): void {
    this.#counter(this.throttled, 't', provider).inc();
  }

  ejected(route: string, provider: string, reason: 'consecutive_5xx' | 'failure_percentage'): void {
    this.#counter(this.outlierEjections, 'o', route, provider, reason).inc();
  }

  fallback(route: string, tier: string): void {
    this.#counter(this.fallbacks, 'fb', route, tier).inc();
  }

  /** Exports a breaker's state and transitions; returns the unsubscribe function. */
  watchBreaker(name: string, region: string | undefined, breaker: CircuitBreaker): () => void {
    const r = region ?? '';
    this.#breakers.push({ name, region: r, breaker });
    this.breakerState.set({ provider: name, region: r }, BREAKER_STATE_CODE[breaker.state().kind]);
    return breaker.onStateChange((t) => {
      this.breakerTransitions.inc({ provider: name, region: r, from: t.from, to: t.to });
      this.breakerState.set({ provider: name, region: r }, BREAKER_STATE_CODE[t.to]);
    });
  }

  retry(route: string, provider: string): void {
    this.#counter(this.retries, 'r', route, provider).inc();
  }

  attempt(provider: string, status: number | 'timeout' | 'network' | 'aborted' | 'deadline'): void {
    let byStatus = this.#attemptTallies.get(provider);
    if (!byStatus) this.#attemptTallies.set(provider, (byStatus = new Map()));
    let t = byStatus.get(status);
    if (!t) byStatus.set(status, (t = this.#counter(this.attempts, 'a', provider, String(status))));
    t.pending++;
  }

  failover(from: string, to: string, reason: PassOverReason): void {
    this.#counter(this.failovers, 'f', from, to, reason).inc();
  }

  decision(route: string, provider: string, reason: string): void {
    this.#counter(this.routingDecisions, 'routingDecisions', route, provider, reason).inc();
  }

  /** A provider's answer cost `cost`, `extra` of it above the cheapest choice. */
  cost(provider: string, currency: string, cost: number, extra: number): void {
    if (cost > 0) this.#counter(this.providerCost, 'pc', provider, currency).inc(cost);
    if (extra > 0) this.#counter(this.providerCostExtra, 'px', provider, currency).inc(extra);
  }

  authRejected(route: string, reason: AuthFailure): void {
    this.#counter(this.authRejections, 'authRejections', route, reason).inc();
  }

  canaryRequest(route: string, arm: CanaryArm, outcome: 'success' | 'error'): void {
    this.#counter(this.canaryRequests, 'canaryRequests', route, arm, outcome).inc();
  }

  llmAnswer(route: string, cls: string, model: string): void {
    this.#counter(this.llmRequests, 'llmRequests', route, cls, model).inc();
  }

  /** Exports a route's canary state (read at scrape time). */
  watchCanary(route: string, canary: Canary): void {
    this.#canaries.push({ route, canary });
    this.canaryState.set({ route }, CANARY_STATE_CODE[canary.state().kind]);
  }

  request(route: string, provider: string, outcome: RequestOutcome, seconds: number): void {
    this.#duration(route, provider, outcome).observe(seconds);
  }

  /** The exposition text, for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #duration(route: string, provider: string, outcome: RequestOutcome): DurationSeries {
    let byProvider = this.#durations.get(route);
    if (!byProvider) this.#durations.set(route, (byProvider = new Map()));
    let byOutcome = byProvider.get(provider);
    if (!byOutcome) byProvider.set(provider, (byOutcome = new Map()));
    let series = byOutcome.get(outcome);
    if (!series) byOutcome.set(outcome, (series = this.requestDuration.series({ route, provider, outcome })));
    return series;
  }

  #counter<L extends string>(counter: Counter<L>, tag: string, ...values: string[]): Tally {
    const key = `${tag}\u0000${values.join('\u0000')}`;
    let t = this.#tallies.get(key);
    if (!t) this.#tallies.set(key, (t = new Tally(counter as Counter<string>, values)));
    return t;
  }
}

/** One series of a counter, counted in a plain number; prom-client gets it when scraped. */
class Tally {
  pending = 0;
  readonly counter: Counter<string>;
  readonly #child: { inc(value?: number): void };

  constructor(counter: Counter<string>, values: string[]) {
    this.counter = counter;
    this.#child = counter.labels(...values);
  }

  inc(value = 1): void {
    this.pending += value;
  }

  flush(): void {
    this.#child.inc(this.pending);
    this.pending = 0;
  }
}

/** One labelled series of the duration histogram: counts per bucket (the last is +Inf), sum and count. */
class DurationSeries {
  readonly labels: Record<string, string>;
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(labels: Record<string, string>, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** One exposition value as prom-client's Registry reads it. */
interface ExpositionValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

interface ExpositionData {
  name: string;
  help: string;
  type: 'histogram';
  values: ExpositionValue[];
  aggregator: 'sum';
}

/**
 * A histogram with its series kept as plain arrays, registered with prom-client's Registry as
 * a metric of its own: `getForPromString()`/`get()` return what prom-client's Histogram does
 * (cumulative `_bucket` lines with `le`, `+Inf`, `_sum`, `_count`), so the text is the same.
 */
export class DurationHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly bounds: readonly number[];
  #series: DurationSeries[] = [];

  constructor(name: string, help: string, bounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.bounds = bounds;
  }

  /** A new series with these labels (the caller keeps it). */
  series(labels: Record<string, string>): DurationSeries {
    const s = new DurationSeries(labels, this.bounds);
    this.#series.push(s);
    return s;
  }

  async getForPromString(): Promise<ExpositionData> {
    const values: ExpositionValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: s.labels, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As prom-client's `get()`: the shared labels folded into each value's own. */
  async get(): Promise<ExpositionData> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, ...v }) => ({ ...v, labels: { ...v.labels, ...sharedLabels } }));
    return data;
  }

  reset(): void {
    for (const s of this.#series) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
