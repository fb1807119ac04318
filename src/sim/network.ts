/**
 * The network between the modelled parts, and the network faults on it.
 *
 * Latency: each one-way leg (client → router, router → provider through its proxy, and
 * back) is a draw from a distribution. The defaults are loopback figures, fitted to live
 * runs of the bundled scenarios on this repository's 2-core box (README, "Virtual time":
 * a live joke-api-flaky p50 of ~1.2 ms end to end is two client legs, two upstream legs
 * through the embedded Toxiproxy and the fixture's own time).
 *
 * Network faults: what the live run does with Toxiproxy (the proxy disabled, toxics on a
 * stream), modelled per request on the path to one provider endpoint:
 * - `down` (and outage `down`/`flapping`): connections refused after one round trip
 *   (ECONNREFUSED, the provider never sees the request); requests in flight when it switches
 *   on are cut (ECONNRESET), as disabling a proxy closes its connections.
 * - `timeout` toxic (and outage `blackhole`): on the upstream stream the request never
 *   arrives; downstream the provider answers but the answer never comes back. With a
 *   timeout > 0 the connection is closed after it (ECONNRESET); with 0 it is held until the
 *   caller gives up.
 * - `reset_peer` toxic (and outage `partial`): the connection is reset after its timeout;
 *   upstream before the provider sees the request, downstream once it has answered.
 * - `latency` toxic (and outage `slow` without `kbps`): latency ± jitter (uniform) added
 *   to the leg of its stream.
 * Toxicity is Toxiproxy's share of connections; here it is drawn per request (the router's
 * pool reuses a handful of keep-alive connections, so live it is a share of connections that
 * each carry many requests: the same mean, a lumpier spread).
 * `bandwidth`, `slow_close`, `slicer` and `limit_data` have no model (unsupported.ts).
 */
import type { Distribution } from '../core/distributions.ts';
import type { NamedToxic } from '../model/faults/kind.ts';
import type { Clock } from '../core/clock.ts';
import { httpFaultBackend, layeredBackend, type PlannedFault } from '../faults/backends.ts';
import type { FaultBackend } from '../faults/timeline.ts';
import type { SimProvider } from './provider.ts';

/** One-way delays, ms. */
export interface NetworkModel {
  /** Client ↔ router, each way. */
  clientLeg: Distribution;
  /** Router ↔ provider (through its proxy), each way. */
  upstreamLeg: Distribution;
}

/**
 * Loopback defaults, fitted to live runs (see the README's agreement table): a lognormal,
 * since a loaded box's loopback has a long right tail (scheduling delays of a few ms).
 */
export const DEFAULT_NETWORK: NetworkModel = {
  clientLeg: { distribution: 'lognormal', p50: 0.6, p99: 1.5 },
  upstreamLeg: { distribution: 'lognormal', p50: 1, p99: 2.5 },
};

/** The toxic types with a model. */
export const MODELLED_TOXICS = new Set(['latency', 'timeout', 'reset_peer']);

/** The network faults on one provider endpoint's path, as they stand. */
export class PathState {
  downHolds = 0;
  readonly toxics = new Map<string, NamedToxic>();
  /** Requests on the path now: a switch to down cuts them. */
  readonly inFlight = new Set<(why: 'down') => void>();
}

/**
 * How long a network fault takes to switch live: the Toxiproxy API call from the harness
 * (6 ms, the median of the 12 network switches of the live weather-failover runs measured
 * for the agreement table: 3–20 ms after their due time). HTTP faults switch within a
 * millisecond live (the provider host stamps them), so they switch at once here.
 */
export const NETWORK_SWITCH_MS = 6;

/** The simulated Toxiproxy: switches planned network faults on the paths the transport reads, `switchMs` after being asked (as its API answers). */
export function networkBackend(paths: Map<string, PathState>, clock?: Clock, switchMs = 0): FaultBackend<PlannedFault> {
  const wait = async () => {
    if (clock && switchMs > 0) await clock.sleep(switchMs);
  };
  const pathOf = (key: string) => {
    const p = paths.get(key);
    if (!p) throw new Error(`no provider endpoint ${key}`);
    return p;
  };
  const networkOf = (f: PlannedFault, k?: number) => {
    const a = k === undefined ? f : f.ramp?.steps[k];
    if (!a || a.layer !== 'network') throw new Error(`${f.name} is not a network fault`);
    return a.network;
  };
  return {
    async on(f) {
      const action = networkOf(f);
      await wait();
      for (const key of f.keys) {
        const p = pathOf(key);
        if (action.kind === 'down') {
          if (++p.downHolds === 1) for (const cut of [...p.inFlight]) cut('down');
        } else for (const t of action.toxics) p.toxics.set(t.name, t);
      }
    },
    async step(f, k) {
      const action = networkOf(f, k);
      if (action.kind === 'down') return;
      await wait();
      for (const key of f.keys) for (const t of action.toxics) pathOf(key).toxics.set(t.name, t);
    },
    async off(f) {
      const action = networkOf(f);
      await wait();
      for (const key of f.keys) {
        const p = pathOf(key);
        if (action.kind === 'down') p.downHolds = Math.max(0, p.downHolds - 1);
        else for (const t of action.toxics) p.toxics.delete(t.name);
      }
    },
  };
}

/**
 * The backend the live fault timeline drives in a simulation: HTTP faults through the live
 * `httpFaultBackend` (the active set per endpoint, sent whole) into the modelled providers'
 * own stage, network faults onto the paths. Each switch takes effect at once, stamped with
 * the virtual time.
 */
export function simFaultBackend(providers: Map<string, SimProvider>, paths: Map<string, PathState>, clock: Clock, networkSwitchMs = NETWORK_SWITCH_MS): FaultBackend<PlannedFault> {
  return layeredBackend({
    http: httpFaultBackend(async (key, faults) => {
      const sp = providers.get(key);
      if (!sp) throw new Error(`no provider endpoint ${key}`);
      sp.setFaults(faults);
      return clock.now();
    }),
    network: networkBackend(paths, clock, networkSwitchMs),
  });
}
