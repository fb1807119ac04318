/**
 * Provider selection by regional compliance, live health and cost: turns a route's
 * upstreams into the failover order for one request.
 *
 * Compliance is a filter, never a preference: a candidate not allowed for the client's region
 * is dropped before health or cost are looked at, so no fault pattern can bring it back (an
 * EU payment with every EU-compliant provider down gets an empty list, and the router answers
 * 503 with the reason, rather than sending it to the US).
 *
 * Among the compliant candidates the order is cost-aware failover:
 *
 * | position | who                                   | placement           |
 * |----------|---------------------------------------|---------------------|
 * | 1        | healthy, cheapest first               | `cheapest_healthy`  |
 * | 2        | degraded, cheapest first              | `degraded`          |
 * | 3        | `lastResort` (healthy, then degraded) | `last_resort`       |
 * | 4        | unavailable (or dropped: `skip`)      | `unavailable`       |
 *
 * Ties keep the configured order. The last resort is the provider that is dear but almost
 * always up (Braintree at 3.4 % behind Stripe at 2.9 % and Adyen at 2.6 %): it takes traffic
 * only when every cheaper compliant provider is failing.
 *
 * Health is asked of the caller (`health(key)`), so the breaker, outlier detection or a test
 * can supply it; `breakerHealth` maps a circuit breaker's state. A half-open breaker with a
 * probe slot free reads as healthy on purpose: ranked at its cost, the cheaper provider gets
 * its probes and, once they pass, its traffic back; ranked after the healthy ones, it would
 * never be probed while a dearer provider answers.
 *
 * @example
 *   const selector = new ProviderSelector({
 *     candidates: [
 *       { key: 'stripe@eu', fee: { rate: 0.029, fixed: 0.3 } },
 *       { key: 'adyen@eu', fee: { rate: 0.026 } },
 *       { key: 'stripe@us', fee: { rate: 0.029, fixed: 0.3 } },
 *       { key: 'braintree@us', fee: { rate: 0.034 }, lastResort: true },
 *     ],
 *     compliance: { allow: { eu: ['*@eu'] }, unlisted: 'any' },
 *     unhealthy: 'last',
 *   });
 *   const s = selector.select({ region: 'eu', amount: 100 }, (key) => (key === 'adyen@eu' ? 'unavailable' : 'healthy'));
 *   s.order.map((r) => r.key);  // ['stripe@eu', 'adyen@eu'], never a US endpoint
 *   s.reason;                   // 'cheapest_healthy'
 *   s.passedOver;               // { from: 'adyen@eu', to: 'stripe@eu', reason: 'unavailable' }
 *   costImpact(s, 'stripe@eu'); // { cost: 3.2, extra: 0.6 }  (vs adyen@eu's 2.6)
 */
import Type from 'typebox';
import { parsePercent, PERCENT_PATTERN } from '../../core/units.ts';
import { counting, headerName, PROVIDER_NAME_PATTERN, region, type Issue } from '../schema-kit.ts';
import { amountOf, field, header, jsonBody, type Headers } from './request.ts';

export type Health = 'healthy' | 'degraded' | 'unavailable';

/** A provider's fee for one payment: `rate × amount + fixed` (Stripe: 2.9 % + 0.30). */
export interface Fee {
  /** A fraction: 0.029 for 2.9 %. */
  rate: number;
  /** Per payment, in the payment's currency unit. Default 0. */
  fixed?: number;
}

/** One upstream the selector may choose: a provider key and what it costs. */
export interface Candidate {
  /** `name` or `name@region`, as the route's upstreams name it. */
  key: string;
  fee: Fee;
  /** Dear but dependable: only after every other compliant provider. */
  lastResort?: boolean;
}

/**
 * Which upstreams may serve which client regions. Patterns: `stripe@eu` (one endpoint),
 * `stripe` (every region of stripe), `*@eu` (every provider's EU endpoint), `stripe@*`, `*`.
 */
export interface Compliance {
  /** Client region → upstream patterns allowed to serve it. */
  allow: Readonly<Record<string, readonly string[]>>;
  /**
   * A client region not in `allow`, or none known: `deny` sends it nowhere (strict data
   * residency), `any` lets every candidate serve it.
   */
  unlisted: 'deny' | 'any';
}

export interface SelectOptions {
  /** In configured order, which breaks cost ties. */
  candidates: readonly Candidate[];
  /** None: every candidate serves every region. */
  compliance?: Compliance;
  /** Unavailable candidates: kept at the end (`last`: their breakers decide) or dropped (`skip`). */
  unhealthy: 'last' | 'skip';
}

/** What the selector needs to know of a request. */
export interface SelectRequest {
  /** The client's region, lower case (`eu`); undefined when unknown. */
  region?: string | undefined;
  /** Payment amount, for fees with a fixed part and for cost impact. */
  amount?: number | undefined;
  currency?: string | undefined;
}

/** Why a candidate sits where it does in the order. */
export type Placement = 'cheapest_healthy' | 'degraded' | 'last_resort' | 'unavailable';

export interface Ranked {
  key: string;
  health: Health;
  placement: Placement;
  /** Fee for this request's amount; undefined when the amount is unknown. */
  cost: number | undefined;
  lastResort: boolean;
}

/** `routing_decisions_total{reason}`: why the first provider leads, or why there is none. */
export type DecisionReason = Placement | 'no_compliant_provider' | 'no_available_provider';

export interface Selection {
  region: string | undefined;
  /** The failover order: compliant candidates only. Empty → answer 503 with `reason`. */
  order: Ranked[];
  /** Who leads: `order[0].key`, or `none`. */
  provider: string;
  reason: DecisionReason;
  /** Candidates left out, and why. */
  excluded: Array<{ key: string; reason: 'compliance' | 'unavailable' }>;
  /**
   * The provider that would lead were every compliant one healthy (the cheapest), when it
   * does not lead now: a proactive failover, for `failover_invocations_total{from,to,reason}`.
   */
  passedOver?: { from: string; to: string; reason: 'degraded' | 'unavailable' };
  /** The cheapest compliant candidate's cost: the baseline of `costImpact`. */
  baselineCost: number | undefined;
  amount: number | undefined;
  currency: string | undefined;
}

/** A provider key's health, from whatever watches it. */
export type HealthOf = (key: string) => Health;

type Matcher = (key: string) => boolean;

/**
 * Built once per route (and per canary arm); `select` runs per request. Health is read once
 * per candidate per request.
 */
export class ProviderSelector {
  readonly options: SelectOptions;
  readonly #allow: Map<string, Matcher[]>;

  constructor(options: SelectOptions) {
    this.options = options;
    this.#allow = new Map(Object.entries(options.compliance?.allow ?? {}).map(([region, patterns]) => [region, patterns.map((p) => (key: string) => patternMatches(p, key))]));
  }

  /** Whether `key` may serve a client in `region` (undefined: unknown region). */
  allowed(region: string | undefined, key: string): boolean {
    const compliance = this.options.compliance;
    if (!compliance) return true;
    const matchers = region === undefined ? undefined : this.#allow.get(region);
    if (!matchers) return compliance.unlisted === 'any';
    return matchers.some((m) => m(key));
  }

  select(req: SelectRequest, health: HealthOf): Selection {
    const region = req.region;
    const amount = req.amount;
    const excluded: Selection['excluded'] = [];
    const ranked: Array<Ranked & { tier: number; index: number; rate: number; fixed: number }> = [];
    const compliant: Array<{ c: Candidate; index: number; health: Health }> = [];
    const candidates = this.options.candidates;

    for (let index = 0; index < candidates.length; index++) {
      const c = candidates[index]!;
      if (!this.allowed(region, c.key)) {
        excluded.push({ key: c.key, reason: 'compliance' });
        continue;
      }
      const h = health(c.key);
      compliant.push({ c, index, health: h });
      if (h === 'unavailable' && this.options.unhealthy === 'skip') {
        excluded.push({ key: c.key, reason: 'unavailable' });
        continue;
      }
      const lastResort = c.lastResort === true;
      const tier = h === 'unavailable' ? (lastResort ? 5 : 4) : lastResort ? (h === 'healthy' ? 2 : 3) : h === 'healthy' ? 0 : 1;
      ranked.push({
        key: c.key,
        health: h,
        placement: PLACEMENT[tier]!,
        cost: feeFor(c.fee, amount),
        lastResort,
        tier,
        index,
        rate: c.fee.rate,
        fixed: c.fee.fixed ?? 0,
      });
    }

    ranked.sort((a, b) => a.tier - b.tier || compareCost(a, b, amount) || a.index - b.index);
    const order: Ranked[] = ranked.map(({ key, health: h, placement, cost, lastResort }) => ({ key, health: h, placement, cost, lastResort }));

    // The leader were every compliant candidate healthy: the cheapest that is not a last resort.
    let ideal: (typeof compliant)[number] | undefined;
    for (const x of compliant) if (!ideal || compareIdeal(x, ideal, amount) < 0) ideal = x;

    const first = order[0];
    const selection: Selection = {
      region,
      order,
      provider: first?.key ?? 'none',
      reason: first ? first.placement : compliant.length === 0 ? 'no_compliant_provider' : 'no_available_provider',
      excluded,
      baselineCost: ideal ? feeFor(ideal.c.fee, amount) : undefined,
      amount,
      currency: req.currency,
    };
    if (ideal && first && first.key !== ideal.c.key) {
      if (ideal.health !== 'healthy') selection.passedOver = { from: ideal.c.key, to: first.key, reason: ideal.health };
    }
    return selection;
  }
}

const PLACEMENT: readonly Placement[] = ['cheapest_healthy', 'degraded', 'last_resort', 'last_resort', 'unavailable', 'unavailable'];

/** The fee for `amount`, or undefined when the amount is unknown. */
export function feeFor(fee: Fee, amount: number | undefined): number | undefined {
  return amount === undefined ? undefined : fee.rate * amount + (fee.fixed ?? 0);
}

/** By the fee for this amount when known; by rate, then fixed part, when not. */
function compareCost(a: { rate: number; fixed: number }, b: { rate: number; fixed: number }, amount: number | undefined): number {
  if (amount !== undefined) {
    const d = a.rate * amount + a.fixed - (b.rate * amount + b.fixed);
    if (d !== 0) return d;
  }
  return a.rate - b.rate || a.fixed - b.fixed;
}

function compareIdeal(a: { c: Candidate; index: number }, b: { c: Candidate; index: number }, amount: number | undefined): number {
  const cost = (x: { c: Candidate }) => ({ rate: x.c.fee.rate, fixed: x.c.fee.fixed ?? 0 });
  return Number(a.c.lastResort === true) - Number(b.c.lastResort === true) || compareCost(cost(a), cost(b), amount) || a.index - b.index;
}

/** `stripe@eu`, `stripe` (every region of it), `*@eu`, `stripe@*`, `*` against a provider key. */
export function patternMatches(pattern: string, key: string): boolean {
  if (pattern === '*') return true;
  const at = pattern.indexOf('@');
  const name = at < 0 ? pattern : pattern.slice(0, at);
  const region = at < 0 ? '*' : pattern.slice(at + 1);
  const k = key.indexOf('@');
  const kName = k < 0 ? key : key.slice(0, k);
  const kRegion = k < 0 ? undefined : key.slice(k + 1);
  return (name === '*' || name === kName) && (region === '*' || region === kRegion);
}

/**
 * What serving a request cost at `key`, and how much more than the cheapest compliant
 * provider would have charged: `provider_cost_total{provider}` grows by `cost`.
 * Undefined when the amount is unknown or `key` was not in the selection.
 */
export function costImpact(selection: Selection, key: string): { cost: number; extra: number } | undefined {
  const r = selection.order.find((x) => x.key === key);
  if (!r || r.cost === undefined) return undefined;
  return { cost: r.cost, extra: r.cost - (selection.baselineCost ?? r.cost) };
}

/** Where a request's region and payment attributes come from. */
export interface AttributeSources {
  /** Header naming the client's region. Default `x-region`. */
  regionHeader?: string;
  /** Region when the header is absent (or the geo lookup finds none). Default: unknown. */
  defaultRegion?: string;
  /** Client IP → region, e.g. a GeoIP lookup; consulted when the header is absent. */
  geo?: (ip: string) => string | undefined;
  /** Header, then JSON body field, for the amount. Defaults `x-amount`, `amount`. */
  amountHeader?: string;
  amountField?: string;
  /** Defaults `x-currency`, `currency`. */
  currencyHeader?: string;
  currencyField?: string;
}

const REGION = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Reads `SelectRequest` from a request. The region is lower-cased; a value that is not a
 * region name reads as unknown (so `unlisted` decides), never as some other region.
 *
 * The region header is only as trustworthy as whoever sets it: put the router behind a proxy
 * that overwrites it, or use `geo`, when clients could lie their way out of a compliance rule.
 *
 * @example
 *   requestAttributes({ headers: { 'x-region': 'EU', 'x-amount': '120.50' } }) // { region: 'eu', amount: 120.5, currency: undefined }
 */
export function requestAttributes(
  req: { headers: Headers; body?: Uint8Array | undefined; ip?: string | undefined },
  sources: AttributeSources = {},
): SelectRequest {
  let region = header(req.headers, sources.regionHeader ?? 'x-region')?.toLowerCase();
  if (region === undefined && req.ip !== undefined && sources.geo) region = sources.geo(req.ip)?.toLowerCase();
  region ??= sources.defaultRegion;
  if (region !== undefined && !REGION.test(region)) region = undefined;

  let body: unknown;
  let bodyRead = false;
  const fromBody = (path: string): unknown => {
    if (!bodyRead) {
      body = jsonBody(req.body);
      bodyRead = true;
    }
    return field(body, path);
  };
  const amount = amountOf(header(req.headers, sources.amountHeader ?? 'x-amount')) ?? amountOf(fromBody(sources.amountField ?? 'amount'));
  const rawCurrency = header(req.headers, sources.currencyHeader ?? 'x-currency') ?? fromBody(sources.currencyField ?? 'currency');
  const currency = typeof rawCurrency === 'string' && /^[A-Za-z]{3}$/.test(rawCurrency.trim()) ? rawCurrency.trim().toLowerCase() : undefined;
  return { region, amount, currency };
}

/**
 * The part of a circuit breaker `breakerHealth` reads (structural, so any breaker with these
 * methods fits). Rates come from `metrics()`, never from the state's raw window: a time
 * window keeps its counts in `buckets` and leaves `window` empty, and a count window's
 * outcomes include `slow-failure` and `slow-success`; `metrics()` reads both kinds alike.
 */
export interface BreakerLike {
  state(): { kind: 'closed' | 'open' | 'half-open' };
  isCallPermitted(): boolean;
  /** The closed state's window in numbers (zeros unless closed). */
  metrics(): { calls: number; failureRate: number; slowCallRate: number };
}

/**
 * A breaker's state as health: open → unavailable; half-open → healthy while a probe slot
 * is free (so the provider is probed at its cost rank), else unavailable; closed → healthy,
 * or degraded once the failure (or slow-call) share of its window reaches `degradedAt`
 * (off by default).
 *
 * @example
 *   const health: HealthOf = (key) => (breakers.get(key) ? breakerHealth(breakers.get(key)!, 0.25) : 'healthy');
 */
export function breakerHealth(breaker: BreakerLike, degradedAt?: number): Health {
  const s = breaker.state();
  if (s.kind === 'open') return 'unavailable';
  if (s.kind === 'half-open') return breaker.isCallPermitted() ? 'healthy' : 'unavailable';
  if (degradedAt === undefined) return 'healthy';
  const m = breaker.metrics();
  return m.calls > 0 && Math.max(m.failureRate, m.slowCallRate) >= degradedAt ? 'degraded' : 'healthy';
}

/**
 * Health by provider key from the router's breakers (`Router.breakers`); a provider without
 * a breaker is always healthy.
 *
 * @example
 *   const health = healthFromBreakers(router.breakers);
 *   selector.select(attrs, health);
 */
export function healthFromBreakers(breakers: ReadonlyMap<string, BreakerLike>, degradedAt?: number): HealthOf {
  return (key) => {
    const b = breakers.get(key);
    return b ? breakerHealth(b, degradedAt) : 'healthy';
  };
}

// ---------------------------------------------------------------------------------------
// Config: a route's `select` section of a router file, its compile step, and the selector's
// options from the compiled section.

/** `stripe@eu`, `stripe`, `*@eu`, `stripe@*`, `*`. */
const UPSTREAM_GLOB_PATTERN = '^(\\*|[a-z0-9][a-z0-9-]*)(@(\\*|[a-z0-9][a-z0-9-]*))?$';
const percent = (description: string) => Type.String({ pattern: PERCENT_PATTERN, expected: 'a percentage like 2.9%', description });

const FeeSchema = Type.Union(
  [
    percent('The fee as a share of the amount, e.g. 2.9%.'),
    Type.Object(
      {
        rate: percent('Share of the amount, e.g. 2.9%.'),
        fixed: Type.Optional(Type.Number({ minimum: 0, description: 'Per payment, in the currency unit, e.g. 0.30.' })),
      },
      { additionalProperties: false, description: 'A share of the amount plus a fixed part.' },
    ),
  ],
  { expected: 'a percentage like 2.9%, or { rate: 2.9%, fixed: 0.30 }', description: "A provider's fee per payment." },
);

const AttributeSourceSchema = (what: string, h: string, f: string) =>
  Type.Object(
    {
      header: Type.Optional(headerName(`Header carrying the ${what}. Default ${h}.`)),
      field: Type.Optional(Type.String({ minLength: 1, description: `Dotted path of the ${what} in a JSON body. Default ${f}.` })),
    },
    { additionalProperties: false, description: `Where the ${what} is read: the header first, then the JSON body.` },
  );

export const SelectSchema = Type.Object(
  {
    by: Type.Optional(
      Type.Union([Type.Literal('cost'), Type.Literal('order')], {
        expected: 'cost or order',
        description: 'cost: cheapest healthy provider first (cost-aware failover). order: as listed. Default cost.',
      }),
    ),
    region: Type.Optional(
      Type.Object(
        {
          header: Type.Optional(headerName('Header naming the client region. Default x-region.')),
          default: Type.Optional(region('Region of a request without the header.')),
        },
        { additionalProperties: false, description: "Where the client's region comes from." },
      ),
    ),
    fees: Type.Optional(Type.Record(Type.String(), FeeSchema, { description: 'Fee per provider name (every region) or key (name@region). Required for every upstream with by: cost.' })),
    lastResort: Type.Optional(
      Type.Array(Type.String({ pattern: UPSTREAM_GLOB_PATTERN, expected: 'a provider name, name@region, *@region or *', description: 'Upstreams of last resort.' }), {
        description: 'Dear but dependable providers: tried only after every other compliant one.',
      }),
    ),
    compliance: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Array(Type.String({ pattern: UPSTREAM_GLOB_PATTERN, expected: 'a provider name, name@region, *@region or *', description: 'Upstreams allowed.' }), {
          description: 'Upstreams allowed to serve this client region.',
        }),
        { description: 'Client region → the only upstreams that may serve it, whatever fails. E.g. eu: ["*@eu"].' },
      ),
    ),
    unlisted: Type.Optional(
      Type.Union([Type.Literal('any'), Type.Literal('deny')], {
        expected: 'any or deny',
        description: 'A region not under compliance, or unknown: any upstream (any) or none (deny: 503). Default any.',
      }),
    ),
    unhealthy: Type.Optional(
      Type.Union([Type.Literal('last'), Type.Literal('skip')], {
        expected: 'last or skip',
        description: 'Unavailable providers: after the rest, for their breakers to decide (last), or left out (skip). Default last.',
      }),
    ),
    degradedAt: Type.Optional(
      percent(
        "A provider whose breaker is closed but whose failure (or slow-call) share over the breaker's window has reached this ranks after the healthy ones, e.g. 20%. Default: off (a provider is healthy until its breaker opens).",
      ),
    ),
    amount: Type.Optional(AttributeSourceSchema('payment amount', 'x-amount', 'amount')),
    currency: Type.Optional(AttributeSourceSchema('currency', 'x-currency', 'currency')),
  },
  { additionalProperties: false, description: 'Provider selection per request: regional compliance, live health and cost (fee %).' },
);
export type SelectFile = Type.Static<typeof SelectSchema>;

/** The compiled `select`: everything but the candidate list, which `buildSelectOptions` adds per upstream list. */
export interface SelectConfig {
  by: 'cost' | 'order';
  /** By provider key or name. */
  fees: ReadonlyMap<string, Fee>;
  lastResort: readonly string[];
  compliance?: Compliance;
  unhealthy: 'last' | 'skip';
  /** A closed breaker's failure share from which its provider reads as degraded; undefined: never. */
  degradedAt?: number;
  sources: AttributeSources;
}

/**
 * `select` as written → `SelectConfig`. `upstreams`: every key the route may call (its
 * upstreams and its canary's), to check fees, last resorts and compliance patterns against.
 */
export function compileSelect(raw: SelectFile, upstreams: readonly string[], at: (string | number)[], report: Issue): SelectConfig | undefined {
  const { report: issue, count } = counting(report);
  const by = raw.by ?? 'cost';
  const fees = new Map<string, Fee>();
  const names = new Set(upstreams.map((u) => u.split('@')[0]!));
  for (const [k, f] of Object.entries(raw.fees ?? {})) {
    if (!upstreams.includes(k) && !names.has(k)) issue([...at, 'fees', k], `${k} is not an upstream of this route`, { expected: `one of ${upstreams.join(', ')}` });
    fees.set(k, typeof f === 'string' ? { rate: parsePercent(f) } : { rate: parsePercent(f.rate), ...(f.fixed !== undefined && { fixed: f.fixed }) });
  }
  if (by === 'cost') {
    const missing = upstreams.filter((u) => !fees.has(u) && !fees.has(u.split('@')[0]!));
    if (missing.length > 0) issue([...at, 'fees'], `by: cost needs a fee for every upstream; missing ${missing.join(', ')}`);
  }
  const matchesSome = (p: string) => upstreams.some((u) => patternMatches(p, u));
  (raw.lastResort ?? []).forEach((p, i) => {
    if (!matchesSome(p)) issue([...at, 'lastResort', i], `${p} matches no upstream of this route`, { expected: `one of ${upstreams.join(', ')}` });
  });
  let compliance: Compliance | undefined;
  if (raw.compliance) {
    for (const [r, patterns] of Object.entries(raw.compliance)) {
      if (!new RegExp(PROVIDER_NAME_PATTERN).test(r)) issue([...at, 'compliance', r], `region name ${JSON.stringify(r)} must be lower-case letters, digits and dashes`);
      patterns.forEach((p, i) => {
        if (!matchesSome(p)) issue([...at, 'compliance', r, i], `${p} matches no upstream of this route`, { expected: `one of ${upstreams.join(', ')}` });
      });
    }
    compliance = { allow: raw.compliance, unlisted: raw.unlisted ?? 'any' };
  } else if (raw.unlisted === 'deny') {
    issue([...at, 'unlisted'], 'unlisted: deny without compliance would refuse every request; list the regions under compliance');
  }
  if (count() > 0) return undefined;
  const sources: AttributeSources = {
    ...(raw.region?.header !== undefined && { regionHeader: raw.region.header.toLowerCase() }),
    ...(raw.region?.default !== undefined && { defaultRegion: raw.region.default }),
    ...(raw.amount?.header !== undefined && { amountHeader: raw.amount.header.toLowerCase() }),
    ...(raw.amount?.field !== undefined && { amountField: raw.amount.field }),
    ...(raw.currency?.header !== undefined && { currencyHeader: raw.currency.header.toLowerCase() }),
    ...(raw.currency?.field !== undefined && { currencyField: raw.currency.field }),
  };
  let degradedAt: number | undefined;
  if (raw.degradedAt !== undefined) {
    degradedAt = parsePercent(raw.degradedAt);
    if (!(degradedAt > 0 && degradedAt <= 1)) {
      issue([...at, 'degradedAt'], 'degradedAt must be more than 0% and at most 100%');
      return undefined;
    }
  }
  return {
    by,
    fees,
    lastResort: raw.lastResort ?? [],
    ...(compliance && { compliance }),
    unhealthy: raw.unhealthy ?? 'last',
    ...(degradedAt !== undefined && { degradedAt }),
    sources,
  };
}

/**
 * The selector's options for one upstream list (the route's, or its canary's).
 *
 * @example
 *   const selector = new ProviderSelector(buildSelectOptions(route.select, route.upstreams));
 */
export function buildSelectOptions(config: SelectConfig, upstreams: readonly string[]): SelectOptions {
  const candidates: Candidate[] = upstreams.map((key) => ({
    key,
    // by: order ranks everyone at the same cost, so ties keep the listed order.
    fee: config.by === 'order' ? { rate: 0 } : (config.fees.get(key) ?? config.fees.get(key.split('@')[0]!) ?? { rate: 0 }),
    ...(config.lastResort.some((p) => patternMatches(p, key)) && { lastResort: true }),
  }));
  return { candidates, ...(config.compliance && { compliance: config.compliance }), unhealthy: config.unhealthy };
}
