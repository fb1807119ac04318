/**
 * A provider's capacity: at most `concurrency` requests at once, each holding a slot for a
 * `serviceTime` (ms); `queue` more wait (absent: no limit); beyond, 503. One type for the
 * scenario's provider (`ProviderSpec.capacity`), the endpoint the provider host serves, and
 * the queue that carries it out (`ServiceQueue`, src/providers/capacity.ts); with the
 * provider's schema fragment, its check and its normalisation. A capacity fault
 * (src/model/faults/http/capacity.ts) changes it for a window.
 */
import Type from 'typebox';
import type { Distribution } from '../core/distributions.ts';
import { rec, type At, type Path } from './checks.ts';
import { checkDelay, Delay, normalizeDelay } from './delay.ts';
import { MAX_COUNT } from './quantities.ts';

export interface Capacity {
  /** Requests served at once (≥ 1 for a provider; a capacity fault may set 0: everything waits). */
  concurrency: number;
  /** Requests that may wait for a slot; undefined: no limit. */
  queue?: number;
  /** How long one request holds a slot. */
  serviceTime: Distribution;
}

export const CapacitySchema = Type.Object(
  {
    concurrency: Type.Integer({ minimum: 1, maximum: MAX_COUNT, description: 'Requests the provider serves at once.' }),
    queue: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Requests that may wait for a free slot, first come first served; beyond it they get 503 at once. Default: no limit.' }),
    ),
    serviceTime: Delay('How long each request holds a slot, e.g. { distribution: lognormal, p50: 20ms, p99: 120ms }.'),
  },
  {
    additionalProperties: false,
    description:
      'The provider serves at most `concurrency` requests at once, each for a `serviceTime`; the rest wait in a queue of `queue`, and beyond it get 503 at once. Latency grows under overload, as a real provider’s does. Each region has its own.',
  },
);

/** Checks a provider's `capacity`. */
export function checkCapacity(v: unknown, base: Path, at: At): void {
  const c = rec(v);
  if (c) checkDelay(c.serviceTime, [...base, 'serviceTime'], at);
}

export function normalizeCapacity(c: Type.Static<typeof CapacitySchema>): Capacity {
  return { concurrency: c.concurrency, ...(c.queue !== undefined && { queue: c.queue }), serviceTime: normalizeDelay(c.serviceTime) };
}
