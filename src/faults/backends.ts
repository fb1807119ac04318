import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import type { HttpFault } from '../fixtures/http-faults.ts';
import type { FaultBackend, TimedFault } from './timeline.ts';

/** A network toxic in Toxiproxy's own terms (units as its API takes them). */
export interface ToxicSpec {
  type: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

/** A scenario fault resolved to the endpoints it hits (`provider` or `provider@region` keys). */
export type PlannedFault = TimedFault & { keys: string[] } & (
    | { layer: 'http'; http: HttpFault }
    | { layer: 'network'; network: { kind: 'down' } | { kind: 'toxic'; toxic: ToxicSpec } }
  );

/**
 * HTTP faults live in the fixture providers. Several may be active on one endpoint at once
 * (overlapping windows); the backend keeps the active set per endpoint and sends it whole.
 */
export function httpFaultBackend(send: (key: string, faults: HttpFault[]) => Promise<number>): FaultBackend<PlannedFault> {
  const active = new Map<string, Map<string, HttpFault>>();
  const apply = async (fault: PlannedFault, on: boolean) => {
    if (fault.layer !== 'http') throw new Error(`${fault.name} is not an HTTP fault`);
    const stamps = await Promise.all(
      fault.keys.map((key) => {
        const set = active.get(key) ?? new Map<string, HttpFault>();
        active.set(key, set);
        if (on) set.set(fault.name, fault.http);
        else set.delete(fault.name);
        return send(key, [...set.values()]);
      }),
    );
    return Math.max(...stamps);
  };
  return { on: (f) => apply(f, true), off: (f) => apply(f, false) };
}

/**
 * Network faults go through Toxiproxy's API, via its official Node client only, so the
 * embedded server, a real Toxiproxy at TOXIPROXY_URL and one in a container are
 * interchangeable. `down` disables the proxy (connections refused), as Toxiproxy's own
 * clients do; overlapping `down` faults are counted so the first to end does not
 * re-enable a proxy another still holds down.
 */
export function toxiproxyFaultBackend(proxies: Map<string, Proxy>): FaultBackend<PlannedFault> {
  const downHolds = new Map<string, number>();
  const proxyOf = (key: string) => {
    const p = proxies.get(key);
    if (!p) throw new Error(`no proxy for ${key}`);
    return p;
  };
  const setEnabled = async (key: string, enabled: boolean) => {
    const p = proxyOf(key);
    const current = await p.toxiproxy.get(p.name);
    await current.update({ enabled, listen: current.listen, upstream: current.upstream });
  };
  return {
    async on(f) {
      if (f.layer !== 'network') throw new Error(`${f.name} is not a network fault`);
      for (const key of f.keys) {
        if (f.network.kind === 'down') {
          const holds = (downHolds.get(key) ?? 0) + 1;
          downHolds.set(key, holds);
          if (holds === 1) await setEnabled(key, false);
        } else {
          const { toxic } = f.network;
          await proxyOf(key).addToxic({ name: f.name, type: toxic.type, stream: toxic.stream, toxicity: toxic.toxicity, attributes: toxic.attributes });
        }
      }
    },
    async off(f) {
      if (f.layer !== 'network') throw new Error(`${f.name} is not a network fault`);
      for (const key of f.keys) {
        if (f.network.kind === 'down') {
          const holds = (downHolds.get(key) ?? 1) - 1;
          downHolds.set(key, holds);
          if (holds === 0) await setEnabled(key, true);
        } else {
          const toxic = await proxyOf(key).getToxic(f.name);
          await toxic.remove();
        }
      }
    },
  };
}

/** Routes each fault to the backend of its layer: the one seam where a new backend plugs in. */
export function layeredBackend(backends: Record<PlannedFault['layer'], FaultBackend<PlannedFault>>): FaultBackend<PlannedFault> {
  return {
    on: (f) => backends[f.layer].on(f),
    off: (f) => backends[f.layer].off(f),
  };
}

export { Toxiproxy };
