/**
 * HTTP `capacity`: the provider's capacity (src/model/capacity.ts) changed for the window — a
 * regional brown-out. It acts on the whole endpoint, so it has no route, match or rate, and
 * no action on requests: the provider chain (src/providers/provider.ts `effectiveCapacity`)
 * applies it to the endpoint's queue. Fields left out keep the provider's own.
 */
import Type from 'typebox';
import type { Distribution } from '../../../core/distributions.ts';
import { rec } from '../../checks.ts';
import { checkDelay, Delay, normalizeDelay } from '../../delay.ts';
import { MAX_COUNT } from '../../quantities.ts';
import type { FaultCommon } from '../common.ts';
import { httpFault, type EndpointKind } from '../kind.ts';

/** The provider's capacity changed for the window (a brown-out); unset fields keep the provider's own. No route, match or rate. */
export interface HttpCapacityFault extends FaultCommon {
  layer: 'http';
  kind: 'capacity';
  concurrency: number;
  queue?: number;
  serviceTime?: Distribution;
}

/** The limits a capacity fault sets on the endpoint's queue while it is on. */
export interface CapacityAction {
  kind: 'capacity';
  concurrency: number;
  queue?: number;
  serviceTime?: Distribution;
}

const schema = httpFault('capacity', "change the provider's capacity for the window, e.g. a regional brown-out.", {
  concurrency: Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Requests served at once during the fault (0: none; they wait).' }),
  queue: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: "Requests that may wait. Default: the provider's own." })),
  serviceTime: Type.Optional(Delay("Service time during the fault. Default: the provider's own (required if it has no `capacity`).")),
});

export const capacity: EndpointKind<HttpCapacityFault, CapacityAction, typeof schema> = {
  layer: 'http',
  kind: 'capacity',
  scope: 'endpoint',
  schema,
  ramps: {},
  check(f, base, at, ctx) {
    checkDelay(f.serviceTime, [...base, 'serviceTime'], at);
    const target = rec(f.target);
    for (const field of ['route', 'match'] as const) {
      if (target?.[field] !== undefined) {
        at([...base, 'target', field], `a capacity fault acts on the whole provider: ${field} does not apply (scope the requests with another kind, such as latency or error)`);
      }
    }
    const provider = typeof target?.provider === 'string' ? target.provider : undefined;
    if (provider !== undefined && f.serviceTime === undefined && ctx.providerHasCapacity(provider) === false) {
      at([...base, 'kind'], `provider \`${provider}\` has no \`capacity\` of its own, so this fault needs a \`serviceTime\` (how long each request takes)`);
    }
  },
  normalize: (f, common) => ({
    ...common,
    layer: 'http',
    kind: 'capacity',
    concurrency: f.concurrency,
    ...(f.queue !== undefined && { queue: f.queue }),
    ...(f.serviceTime !== undefined && { serviceTime: normalizeDelay(f.serviceTime) }),
  }),
  plan: (f) => ({
    kind: 'capacity',
    concurrency: f.concurrency,
    ...(f.queue !== undefined && { queue: f.queue }),
    ...(f.serviceTime !== undefined && { serviceTime: f.serviceTime }),
  }),
};
