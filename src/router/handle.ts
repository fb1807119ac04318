/**
 * Handling one request against a built router (build.ts). Per request, outermost first:
 *
 *   normalise the path (path.ts; 400 when it cannot be) → match a route → the route's body
 *   limit (413) → rate limits (router-wide, then the route's; per client) → load shedding
 *   (router-wide, by priority) → the route's deadline → fallback chain (or the upstreams
 *   alone) → route bulkhead → failover over the tier's upstreams, each through
 *   `retry(+budget) → adaptive throttle → provider bulkhead → breaker → outlier detection
 *   → [count attempt] → timeout → transport` (each provider's pipeline, built in build.ts,
 *   which also says which of these are per provider and which per route).
 *
 * Routing (src/router/routing/, applied in plan.ts) decides, per request and before any
 * call, who may serve it and in which order; the failover loop then runs over that order
 * unchanged:
 *
 *   match → rate limits → **authenticate** (JWT: 401 + WWW-Authenticate, nothing called) →
 *   load shedding → **canary arm** (sticky per client; its upstream list) → **order** the
 *   arm's upstreams: `select` (compliance filter, then live health from the breakers and
 *   outlier ejection, then cost) or an LLM plan (the request's class → a model chain) →
 *   deadline → fallback chain → failover → **cost** of the answer → the canary records how
 *   the request ended.
 *
 * An empty order (no compliant provider, none available under `unhealthy: skip`, no model)
 * is a 503 with the reason; the unfiltered list is never used instead. A fallback tier that
 * names no upstreams takes the routed order; one that names its own is filtered by the
 * route's compliance too. A failure becomes the router's own answer in failure.ts.
 */
import { cacheKey } from './build-route.ts';
import type { Answer, CompiledRoute, Plan, RouterState, UpstreamTier } from './state.ts';
import { failureAnswer, NoUpstreamError } from './failure.ts';
import { ARM_HEADER, FALLBACK_HEADER, forwardHeaders, json, MODEL_HEADER, PROVIDER_HEADER, responseHeaders, type RouterRequest, type RouterResponse } from './messages.ts';
import type { RequestOutcome, RouterMetrics } from './metrics.ts';
import { isNormalPath, normalisePath } from './path.ts';
import { Exchange, listPlan, routePlan } from './plan.ts';
import { clientAddress, normaliseAddress } from './policies/client-address.ts';
import type { FailoverResult, FailoverTarget } from './policies/failover.ts';
import type { FallbackChain } from './policies/fallback.ts';
import { DEFER } from './policies/gate.ts';
import type { PolicyContext } from './policies/policy.ts';
import type { RateLimiter } from './policies/ratelimit.ts';
import { stickyKey } from './routing/canary.ts';
import { usageCost, usageOf } from './routing/llm.ts';
import { costImpact } from './routing/select.ts';
import type { Transport, UpstreamResponse } from './transport.ts';

/** One request, answered against a built router. */
export async function handle(state: RouterState, req: RouterRequest): Promise<RouterResponse> {
  const { clock, metrics, routes, globalLimiter, trusted, shedder } = state;
  const started = clock.now();
  let q = req.path.indexOf('?');
  let pathname = q < 0 ? req.path : req.path.slice(0, q);
  // Matched and forwarded as normalised (path.ts): the upstream sees the path the route was
  // chosen for. An already-normal path (nearly all) costs one test and no copy.
  if (!isNormalPath(pathname)) {
    const normalised = normalisePath(req.path);
    if (!normalised.ok) {
      metrics.request('none', 'none', 'bad_request', 0);
      return json(400, { error: 'bad_path', message: normalised.message });
    }
    req = { ...req, path: normalised.path };
    q = req.path.indexOf('?');
    pathname = q < 0 ? req.path : req.path.slice(0, q);
  }
  const route = routeFor(routes, pathname);
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
  let status = 0;
  const ex = new Exchange(req, trusted, route.config.select?.sources);
  try {
    // A body over the route's limit is refused before anything else (server.ts refuses it before reading it whole).
    if (req.body !== undefined && req.body.byteLength > route.maxBody) {
      outcome = 'too_large';
      status = 413;
      return json(413, { error: 'request_too_large', message: `the request body is over this route's limit of ${route.maxBody} bytes`, route: route.label, limit: route.maxBody });
    }
    // Rate limits first: they are the cheapest refusal and the one a flood must hit.
    if (globalLimiter || route.rateLimit) {
      const who = ex.client();
      const refused = overLimit(metrics, route, globalLimiter, 'global', who) ?? overLimit(metrics, route, route.rateLimit, 'route', who);
      if (refused) {
        outcome = 'rate_limited';
        status = refused.status;
        return refused;
      }
    }
    // Authentication before any work for the request, and before any upstream sees it.
    if (route.auth) {
      const a = await route.auth.authenticate(req.headers);
      if (!a.ok) {
        outcome = 'unauthorized';
        metrics.authRejected(route.label, a.reason);
        const res = json(a.status, { error: a.reason, message: a.message, route: route.label });
        res.headers['www-authenticate'] = a.wwwAuthenticate;
        status = res.status;
        return res;
      }
    }
    const ctx: PolicyContext = { method: req.method, request: ex };
    if (req.signal) ctx.signal = req.signal;
    if (shedder) {
      const header = state.priorityHeader === undefined ? undefined : req.headers[state.priorityHeader];
      const asked = Array.isArray(header) ? header[0] : header;
      const fromProxy = asked !== undefined && req.remoteAddress !== undefined && trusted.has(normaliseAddress(req.remoteAddress));
      ctx.priority = shedder.requested(asked, route.config.priority, fromProxy);
    }
    // The shedder is entered and left here, as a gate, rather than wrapped around the rest
    // in an async frame of its own (see Gate).
    shedder?.enter(ctx);
    let a: Answer;
    try {
      // Past the shedder: the request will be served, so it takes an arm and an order now.
      if (route.canary) ex.arm = route.canary.canary.assign(stickyKey({ headers: req.headers, ip: ex.client() }, route.canary.stickyHeader), ex.attributes().region);
      if (route.config.select || route.config.llm) ex.plan = routePlan(route, ex, metrics);
      a = await answer(state, route, ctx);
    } finally {
      shedder?.returned();
    }
    answeredBy = a.provider;
    if (a.headers[FALLBACK_HEADER] !== undefined) outcome = 'fallback';
    a.headers[PROVIDER_HEADER] = a.provider;
    if (ex.arm) a.headers[ARM_HEADER] = ex.arm;
    status = a.status;
    return { status: a.status, headers: a.headers, body: a.body };
  } catch (err) {
    const { res, outcome: o } = failureAnswer(route, req, err, clock);
    outcome = o;
    if (ex.arm) res.headers[ARM_HEADER] = ex.arm;
    status = res.status;
    return res;
  } finally {
    const seconds = (clock.now() - started) / 1000;
    metrics.request(route.label, answeredBy, outcome, seconds);
    // The canary judges how requests on each arm ended; refusals that say nothing about the version are left out.
    if (ex.arm && route.canary && JUDGED.has(outcome)) {
      const ok = answeredBy !== 'none' && status < 500;
      route.canary.canary.record(ex.arm, { ok, latency: seconds * 1000 });
      metrics.canaryRequest(route.label, ex.arm, ok ? 'success' : 'error');
    }
  }
}

/** A 429 with Retry-After when `limiter` refuses `who` now; undefined when it admits (or there is none). */
function overLimit(metrics: RouterMetrics, route: CompiledRoute, limiter: RateLimiter | undefined, scope: 'global' | 'route', who: string): RouterResponse | undefined {
  const wait = limiter?.take(who) ?? 0;
  if (wait <= 0) return undefined;
  metrics.limited(route.label, scope);
  const res = json(429, { error: 'rate_limited', message: `too many requests from ${who}`, route: route.label });
  res.headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)));
  return res;
}

/** The route's answer: its fallback chain, or its upstreams under its deadline. */
function answer(state: RouterState, route: CompiledRoute, ctx: PolicyContext): Promise<Answer> {
  // Not async: the promise underneath is handed on, not awaited and wrapped again.
  if (route.chain) return fallbackAnswer(route.chain, ctx);
  if (route.deadline) return route.deadline.execute((c) => callUpstreams(state, route, route.primary, c), ctx);
  return callUpstreams(state, route, route.primary, ctx);
}

async function fallbackAnswer(chain: FallbackChain<Answer>, ctx: PolicyContext): Promise<Answer> {
  const r = await chain.execute(ctx);
  if (r.index > 0) r.value.headers[FALLBACK_HEADER] = r.tier;
  return r.value;
}

/**
 * The route bulkhead, then failover over the tier's targets (the request's routed order, or
 * the tier's own list); the answer's cost is counted, and a good GET answer is remembered
 * for a cache tier.
 */
export async function callUpstreams(state: RouterState, route: CompiledRoute, tier: UpstreamTier, ctx: PolicyContext): Promise<Answer> {
  const ex = exchangeOf(ctx);
  const req = ex.req;
  const plan = tier.routed ? (ex.plan ??= routePlan(route, ex, state.metrics)) : listPlan(route, tier.list, ex);
  if (plan.targets.length === 0) {
    // Those left out as unavailable: their breakers say when it is worth asking again.
    const down = plan.selection
      ? plan.selection.excluded.filter((x) => x.reason === 'unavailable').map((x) => x.key)
      : (plan.llm?.excluded.filter((x) => x.reason === 'unavailable').map((x) => route.config.llm!.registry.models.get(x.id)!.provider) ?? []);
    throw new NoUpstreamError(plan.refusal ?? { error: 'no_upstream', message: 'no upstream to call' }, down);
  }
  ex.upstream = { method: req.method, path: req.path, headers: forwardHeaders(req.headers), ...(req.body && { body: req.body }) };
  const list = plan.shared ? (plan.shared.list ??= failoverList(state.transport, plan)) : failoverList(state.transport, plan);
  // The route bulkhead as a gate: a free slot is taken here, without an async frame of its
  // own; a call that would queue goes through its `execute`.
  const bulkhead = route.bulkhead;
  let result: FailoverResult<UpstreamResponse>;
  if (bulkhead === undefined) result = await route.failover.execute(list, ctx);
  else if (bulkhead.enter(ctx) === DEFER) result = await bulkhead.execute((c) => route.failover.execute(list, c), ctx);
  else {
    try {
      result = await route.failover.execute(list, ctx);
    } finally {
      bulkhead.returned();
    }
  }
  const { value, key } = result;
  const ok = value.status >= 200 && value.status < 300;
  if (route.cache && ok) {
    const k = cacheKey(ctx);
    if (k !== undefined) route.cache.store(k, value);
  }
  const headers = responseHeaders(value.headers);
  const model = plan.targets[ex.last]?.model;
  if (model && plan.llm) {
    headers[MODEL_HEADER] = model.id;
    state.metrics.llmAnswer(route.label, plan.llm.class, model.id);
    if (ok) {
      // Tokens as the provider reports them, else as estimated before the call.
      const usage = usageOf(value.body) ?? plan.estimate ?? { input: 0, output: 0 };
      const cost = usageCost(model, usage);
      const baseline = plan.ideal ? usageCost(plan.ideal, usage) : cost;
      state.metrics.cost(key, route.config.llm!.registry.currency, cost, Math.max(0, cost - baseline));
    }
  } else if (plan.selection && ok) {
    const impact = costImpact(plan.selection, key);
    if (impact) state.metrics.cost(key, plan.selection.currency ?? 'unknown', impact.cost, impact.extra);
  }
  return { status: value.status, headers, body: value.body, provider: key };
}

/**
 * A plan's targets as the failover loop takes them. Each reads what to send from the
 * request's Exchange, so a shared plan's list serves every request.
 */
function failoverList(transport: Transport, plan: Plan): FailoverTarget<UpstreamResponse>[] {
  return plan.targets.map((t, i) => {
    const u = t.upstream;
    return {
      key: u.provider.key,
      ...(u.skip && { skip: u.skip }),
      run: (c: PolicyContext) => {
        const ex = exchangeOf(c);
        ex.last = i;
        let sent = ex.upstream!;
        if (t.body !== undefined) {
          const body = t.body();
          sent = { ...sent, ...(body && { body }) };
        }
        return u.pipeline.execute((a) => transport.send(u.provider, a.signal ? { ...sent, signal: a.signal } : sent), c);
      },
    };
  });
}

/** The first route whose `match` takes `pathname` (normalised, without its query). */
function routeFor(routes: readonly CompiledRoute[], pathname: string): CompiledRoute | undefined {
  for (const r of routes) if (r.test(pathname)) return r;
  return undefined;
}

/** The body limit for a request to `target` (as received): its route's, else the router's. */
export function bodyLimit(state: RouterState, target: string): number {
  const n = normalisePath(target);
  if (!n.ok) return state.defaultBodyLimit;
  const q = n.path.indexOf('?');
  return routeFor(state.routes, q < 0 ? n.path : n.path.slice(0, q))?.maxBody ?? state.defaultBodyLimit;
}

/** Tiers get only the PolicyContext; the request rides along in it, with its routing. */
const exchangeOf = (ctx: PolicyContext): Exchange => ctx.request as Exchange;

/** Outcomes a canary judges its arm by: the rest (shed, rate limited, the client gone) say nothing about the version. */
const JUDGED: ReadonlySet<RequestOutcome> = new Set(['success', 'failure', 'rejected', 'deadline_exceeded', 'fallback']);
