/**
 * Routing one request: the Exchange it rides through its route in, and the order in which
 * its providers are asked — by `select` (compliance filter, then live health from the
 * breakers and outlier ejection, then cost), by an LLM plan (the request's class → a model
 * chain), or as configured. The failover loop (handle.ts) runs over that order unchanged.
 */
import type { Carried, CompiledRoute, CompiledUpstream, Plan } from './state.ts';
import type { RouterRequest } from './messages.ts';
import type { RouterMetrics } from './metrics.ts';
import { clientAddress, type TrustedProxies } from './policies/client-address.ts';
import type { CanaryArm } from './routing/canary.ts';
import { llmRequest, planLlm, withModel } from './routing/llm.ts';
import { buildSelectOptions } from './routing/select.ts';
import { ProviderSelector, requestAttributes, type AttributeSources, type SelectRequest } from './routing/select.ts';
import type { UpstreamRequest } from './transport.ts';

/**
 * One request on its way through a route, and what routing decided for it. Rides in
 * `PolicyContext.request`. The client address and the selection attributes are read once,
 * and only when something needs them.
 */
export class Exchange implements Carried {
  readonly req: RouterRequest;
  arm: CanaryArm | undefined;
  plan: Plan | undefined;
  /** What the failover targets send (set per call of a tier), and the index of the last one run. */
  upstream: UpstreamRequest | undefined;
  last = 0;
  readonly #trusted: TrustedProxies;
  readonly #sources: AttributeSources | undefined;
  #client: string | undefined;
  #attributes: SelectRequest | undefined;

  constructor(req: RouterRequest, trusted: TrustedProxies, sources: AttributeSources | undefined) {
    this.req = req;
    this.#trusted = trusted;
    this.#sources = sources;
  }

  /** The client's address, after trusted proxies. */
  client(): string {
    return (this.#client ??= clientAddress(this.req.remoteAddress, this.req.headers['x-forwarded-for'], this.#trusted));
  }

  /** Region, amount and currency, from the route's `select` sources (or the defaults). */
  attributes(): SelectRequest {
    return (this.#attributes ??= requestAttributes({ headers: this.req.headers, body: this.req.body, ip: this.client() }, this.#sources));
  }
}

/** A request's order over `list`: by `select` when the route has it (compliance applies to every list), else as listed. */
export function listPlan(route: CompiledRoute, list: CompiledUpstream[], ex: Exchange): Plan {
  const select = route.config.select;
  if (!select) return { targets: list.map((upstream) => ({ upstream })) };
  const id = list.map((u) => u.provider.key).join(',');
  let selector = route.selectors.get(id);
  if (!selector) {
    selector = new ProviderSelector(buildSelectOptions(select, list.map((u) => u.provider.key)));
    route.selectors.set(id, selector);
  }
  const s = selector.select(ex.attributes(), route.health);
  const plan: Plan = { targets: s.order.map((r) => ({ upstream: route.byKey.get(r.key)! })), selection: s };
  if (s.order.length === 0) {
    plan.refusal = {
      error: s.reason,
      message:
        s.reason === 'no_compliant_provider'
          ? `no provider of this route may serve a client in region ${s.region ?? '(unknown)'}`
          : `every provider that may serve a client in region ${s.region ?? '(unknown)'} is unavailable`,
      region: s.region,
    };
  }
  return plan;
}

/** The request's routed order: the canary arm's list (or the route's), by `select` or the LLM registry. */
export function routePlan(route: CompiledRoute, ex: Exchange, metrics: RouterMetrics): Plan {
  const llm = route.config.llm;
  if (llm) {
    const req = ex.req;
    const asked = llmRequest(req);
    const p = planLlm(llm.registry, asked, route.health, llm.unhealthy);
    const cls = llm.registry.classes.get(p.class);
    const ideal = cls?.chain.map((id) => llm.registry.models.get(id)!).find((m) => !p.excluded.some((x) => x.id === m.id && x.reason === 'tier'));
    const plan: Plan = {
      targets: p.chain.map((e) => ({ upstream: route.byKey.get(e.provider)!, body: () => withModel(req.body, e.model), model: e })),
      llm: p,
      ...(ideal && { ideal }),
      estimate: { input: p.promptTokens, output: asked.maxTokens ?? p.promptTokens },
    };
    const lead = p.chain[0];
    metrics.decision(route.label, lead?.provider ?? 'none', lead ? p.rule : 'no_available_model');
    if (!lead) {
      plan.refusal = { error: 'no_available_model', message: `every model for ${p.class} requests is unavailable`, class: p.class };
    } else if (ideal && ideal.provider !== lead.provider) {
      const h = route.health(ideal.provider);
      if (h !== 'healthy') metrics.failover(ideal.provider, lead.provider, h === 'degraded' ? 'degraded' : route.unavailable(ideal.provider));
    }
    return plan;
  }
  if (!route.config.select) return ex.arm === 'canary' ? route.fixed.canary! : route.fixed.baseline;
  const list = ex.arm === 'canary' ? route.canary!.upstreams : route.upstreams;
  const plan = listPlan(route, list, ex);
  const s = plan.selection;
  if (s) {
    metrics.decision(route.label, s.provider, s.reason);
    if (s.passedOver) metrics.failover(s.passedOver.from, s.passedOver.to, s.passedOver.reason === 'degraded' ? 'degraded' : route.unavailable(s.passedOver.from));
  }
  return plan;
}
