import { Toxiproxy, type Proxy, type Toxic } from 'toxiproxy-node-client';
import type { FaultAction, HttpStageFault } from '../model/faults/index.ts';
import type { NamedToxic } from '../model/faults/kind.ts';
import type { FaultBackend, TimedFault, TimedStep } from './timeline.ts';

/** A ramp step with what it re-applies: the fault's action with the ramped parameter at `value`. */
export type PlannedStep = TimedStep & FaultAction;

/**
 * A scenario fault (one occurrence of it) resolved to the endpoints it hits (`provider` or
 * `provider@region` keys), what switching it on applies, and its ramp's steps.
 */
export type PlannedFault = TimedFault<PlannedStep> & { keys: string[] } & FaultAction;

/**
 * HTTP faults live in the fixture providers. Several may be active on one endpoint at once
 * (overlapping windows); the backend keeps the active set per endpoint and sends it whole.
 * A ramp step replaces the fault's entry in that set with its updated parameters.
 */
export function httpFaultBackend(send: (key: string, faults: HttpStageFault[]) => Promise<number>): FaultBackend<PlannedFault> {
  const active = new Map<string, Map<string, HttpStageFault>>();
  const apply = async (fault: PlannedFault, http: HttpStageFault | null) => {
    const stamps = await Promise.all(
      fault.keys.map((key) => {
        const set = active.get(key) ?? new Map<string, HttpStageFault>();
        active.set(key, set);
        if (http) set.set(fault.name, http);
        else set.delete(fault.name);
        return send(key, [...set.values()]);
      }),
    );
    return Math.max(...stamps);
  };
  const httpOf = (a: FaultAction, name: string) => {
    if (a.layer !== 'http') throw new Error(`${name} is not an HTTP fault`);
    return a.http;
  };
  return {
    on: (f) => apply(f, httpOf(f, f.name)),
    off: (f) => apply(f, null),
    step: (f, k) => apply(f, httpOf(stepOf(f, k), f.name)),
  };
}

function stepOf(f: PlannedFault, k: number): PlannedStep {
  const s = f.ramp?.steps[k];
  if (!s) throw new Error(`${f.name} has no ramp step ${k}`);
  return s;
}

/**
 * Network faults go through Toxiproxy's API, via its official Node client only, so the
 * embedded server, a real Toxiproxy at TOXIPROXY_URL and one in a container are
 * interchangeable. `down` disables the proxy (connections refused), as Toxiproxy's own
 * clients do; overlapping `down` faults are counted so the first to end does not
 * re-enable a proxy another still holds down. Toxics are added under their names, updated
 * in place for a ramp step (`toxic.update`) and removed at the switch-off; every proxy and
 * toxic of one switch is changed at once, not one after another.
 */
export function toxiproxyFaultBackend(proxies: Map<string, Proxy>): FaultBackend<PlannedFault> {
  const downHolds = new Map<string, number>();
  /** The client's handle on each toxic we added, by `key\0name`: update and remove need no lookup first. */
  const added = new Map<string, Toxic<unknown>>();
  const proxyOf = (key: string) => {
    const p = proxies.get(key);
    if (!p) throw new Error(`no proxy for ${key}`);
    return p;
  };
  const setEnabled = async (key: string, enabled: boolean) => {
    const p = proxyOf(key);
    await p.update({ enabled, listen: p.listen, upstream: p.upstream });
  };
  const networkOf = (a: FaultAction, name: string) => {
    if (a.layer !== 'network') throw new Error(`${name} is not a network fault`);
    return a.network;
  };
  const body = (t: NamedToxic) => ({ name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity, attributes: t.attributes });
  const each = async (f: PlannedFault, fn: (key: string) => Promise<unknown>) => {
    await Promise.all(f.keys.map(fn));
  };
  return {
    async on(f) {
      const action = networkOf(f, f.name);
      await each(f, async (key) => {
        if (action.kind === 'down') {
          const holds = (downHolds.get(key) ?? 0) + 1;
          downHolds.set(key, holds);
          if (holds === 1) await setEnabled(key, false);
          return;
        }
        await Promise.all(
          action.toxics.map(async (t) => {
            added.set(`${key}\0${t.name}`, await proxyOf(key).addToxic(body(t)));
          }),
        );
      });
    },
    async step(f, k) {
      const action = networkOf(stepOf(f, k), f.name);
      if (action.kind === 'down') return;
      await each(f, (key) =>
        Promise.all(
          action.toxics.map(async (t) => {
            const id = `${key}\0${t.name}`;
            const toxic = added.get(id) ?? (await proxyOf(key).getToxic(t.name));
            added.set(id, await toxic.update(body(t)));
          }),
        ),
      );
    },
    async off(f) {
      const action = networkOf(f, f.name);
      await each(f, async (key) => {
        if (action.kind === 'down') {
          const holds = (downHolds.get(key) ?? 1) - 1;
          downHolds.set(key, holds);
          if (holds === 0) await setEnabled(key, true);
          return;
        }
        await Promise.all(
          action.toxics.map(async (t) => {
            const id = `${key}\0${t.name}`;
            const toxic = added.get(id) ?? (await proxyOf(key).getToxic(t.name));
            added.delete(id);
            await toxic.remove();
          }),
        );
      });
    },
  };
}

/** Routes each fault to the backend of its layer: the one seam where a new backend plugs in. */
export function layeredBackend(backends: Record<PlannedFault['layer'], FaultBackend<PlannedFault>>): FaultBackend<PlannedFault> {
  return {
    on: (f) => backends[f.layer].on(f),
    off: (f) => backends[f.layer].off(f),
    step: async (f, k) => {
      const b = backends[f.layer];
      if (!b.step) throw new Error(`the ${f.layer} backend cannot ramp ${f.name}`);
      return b.step(f, k);
    },
  };
}

export { Toxiproxy };
