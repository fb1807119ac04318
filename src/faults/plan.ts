import type { FaultSpec, NetworkFault, NetworkOutageFault, Scenario } from '../scenario/model.ts';
import type { HttpFault } from '../providers/http-faults.ts';
import { RAMP_FIELDS } from '../scenario/timelines.ts';
import type { FaultAction, NamedToxic, NetworkAction, PlannedFault, PlannedStep, ToxicSpec } from './backends.ts';

const key = (provider: string, region?: string) => (region ? `${provider}@${region}` : provider);

/** The endpoints a fault hits: one region of the provider, or all of them. */
function endpointsOf(scenario: Scenario, fault: FaultSpec): string[] {
  const provider = scenario.providers.find((p) => p.name === fault.target.provider);
  if (!provider) throw new Error(`fault ${fault.name} targets unknown provider ${fault.target.provider}`);
  if (fault.target.region) return [key(provider.name, fault.target.region)];
  return provider.regions.length ? provider.regions.map((r) => key(provider.name, r)) : [provider.name];
}

/** A network fault in Toxiproxy's own units: what its API takes, attribute for attribute. */
export function toToxic(f: Exclude<NetworkFault, { kind: 'down' | 'outage' }>): ToxicSpec {
  const base = { stream: f.stream, toxicity: f.toxicity };
  switch (f.kind) {
    case 'latency':
      return { ...base, type: 'latency', attributes: { latency: f.latencyMs, jitter: f.jitterMs } };
    case 'timeout':
      return { ...base, type: 'timeout', attributes: { timeout: f.timeoutMs } };
    case 'reset_peer':
      return { ...base, type: 'reset_peer', attributes: { timeout: f.timeoutMs } };
    case 'bandwidth':
      return { ...base, type: 'bandwidth', attributes: { rate: f.kbps } };
    case 'slow_close':
      return { ...base, type: 'slow_close', attributes: { delay: f.delayMs } };
    case 'slicer':
      // Toxiproxy's slicer delay is in microseconds.
      return { ...base, type: 'slicer', attributes: { average_size: f.averageSize, size_variation: f.sizeVariation, delay: Math.round(f.delayMs * 1000) } };
    case 'limit_data':
      return { ...base, type: 'limit_data', attributes: { bytes: f.bytes } };
  }
}

/**
 * An HTTP fault as the fixture provider applies it: its scope (route, request match, rate)
 * and its action, durations in ms. A capacity fault carries only the limits it changes.
 */
export function toHttp(f: Extract<FaultSpec, { layer: 'http' }>): HttpFault {
  if (f.kind === 'capacity') {
    return {
      name: f.name,
      kind: 'capacity',
      concurrency: f.concurrency,
      ...(f.queue !== undefined && { queue: f.queue }),
      ...(f.serviceTime !== undefined && { serviceTime: f.serviceTime }),
    };
  }
  const scope = {
    name: f.name,
    rate: f.rate,
    ...(f.target.route !== undefined && { route: f.target.route }),
    ...(f.target.match !== undefined && { match: f.target.match }),
  };
  switch (f.kind) {
    case 'error':
      return { ...scope, kind: 'error', status: f.status, ...(f.retryAfterMs !== undefined && { retryAfterMs: f.retryAfterMs }) };
    case 'latency':
      return { ...scope, kind: 'latency', delay: f.delay };
    case 'hang':
      return { ...scope, kind: 'hang' };
    case 'truncate':
      return { ...scope, kind: 'truncate', ...(f.bytes !== undefined && { bytes: f.bytes }), ...(f.fraction !== undefined && { fraction: f.fraction }) };
    case 'malformed':
      return { ...scope, kind: 'malformed', style: f.style };
    case 'content_type':
      return { ...scope, kind: 'content_type', contentType: f.contentType, status: f.status };
    case 'slow_headers':
      return { ...scope, kind: 'slow_headers', delay: f.delay };
    case 'slow_body':
      return { ...scope, kind: 'slow_body', delay: f.delay };
  }
}

/**
 * An outage shape as proxy state and toxics. Toxics are named after the fault, with the
 * part they play when a shape needs more than one (`stripe-eu-out-upstream`).
 */
export function outageAction(f: NetworkOutageFault): NetworkAction {
  const toxic = (suffix: string | null, spec: ToxicSpec): NamedToxic => ({ name: suffix ? `${f.name}-${suffix}` : f.name, ...spec });
  switch (f.shape) {
    case 'down':
    case 'flapping':
      return { kind: 'down' };
    case 'blackhole':
      // Timeout 0 holds the connection open and drops every byte: requests never arrive, responses never leave.
      return {
        kind: 'toxics',
        toxics: (['upstream', 'downstream'] as const).map((stream) => toxic(stream, { type: 'timeout', stream, toxicity: f.toxicity, attributes: { timeout: 0 } })),
      };
    case 'partial':
      // Reset as the request goes out: the caller sees ECONNRESET and the provider never sees the request.
      return { kind: 'toxics', toxics: [toxic(null, { type: 'reset_peer', stream: 'upstream', toxicity: f.toxicity, attributes: { timeout: 0 } })] };
    case 'slow': {
      const toxics: NamedToxic[] = [];
      const both = f.latencyMs !== undefined && f.kbps !== undefined;
      if (f.latencyMs !== undefined) {
        toxics.push(toxic(both ? 'latency' : null, { type: 'latency', stream: 'downstream', toxicity: f.toxicity, attributes: { latency: f.latencyMs, jitter: f.jitterMs } }));
      }
      if (f.kbps !== undefined) {
        toxics.push(toxic(both ? 'bandwidth' : null, { type: 'bandwidth', stream: 'downstream', toxicity: f.toxicity, attributes: { rate: f.kbps } }));
      }
      return { kind: 'toxics', toxics };
    }
  }
}

function networkAction(f: NetworkFault): NetworkAction {
  if (f.kind === 'down') return { kind: 'down' };
  if (f.kind === 'outage') return outageAction(f);
  return { kind: 'toxics', toxics: [{ name: f.name, ...toToxic(f) }] };
}

function actionOf(f: FaultSpec): FaultAction {
  return f.layer === 'http' ? { layer: 'http', http: toHttp(f) } : { layer: 'network', network: networkAction(f) };
}

/** The windows a fault is on: one, or one per occurrence of a repeat or a flap (clipped to the run). */
export function occurrencesOf(f: FaultSpec, runMs: number): { fromMs: number; toMs: number; occurrence?: number }[] {
  if (f.repeat) {
    const { everyMs, times } = f.repeat;
    return Array.from({ length: times }, (_, k) => ({ fromMs: f.fromMs + k * everyMs, toMs: Math.min(f.toMs + k * everyMs, runMs), occurrence: k + 1 })).filter(
      (o) => o.fromMs < o.toMs,
    );
  }
  if (f.flap) {
    const { downMs, upMs } = f.flap;
    const out: { fromMs: number; toMs: number; occurrence: number }[] = [];
    // Bounded: the loader allows at most MAX_OCCURRENCES cycles, and the period is > 0.
    for (let t = f.fromMs; t < f.toMs && downMs + upMs > 0; t += downMs + upMs) out.push({ fromMs: t, toMs: Math.min(t + downMs, f.toMs), occurrence: out.length + 1 });
    return out;
  }
  return [{ fromMs: f.fromMs, toMs: f.toMs }];
}

/** Toxiproxy takes whole milliseconds and KB/s; shares keep six decimals, so 0.3 does not print as 0.30000000000000004. */
function roundRampValue(param: keyof typeof RAMP_FIELDS, v: number): number {
  return param === 'latency' || param === 'kbps' ? Math.round(v) : Math.round(v * 1e6) / 1e6;
}

/** A ramp's steps in one occurrence: step 0 at the switch-on, then each step due before the switch-off. */
function rampSteps(f: FaultSpec, fromMs: number, toMs: number): PlannedFault['ramp'] {
  const ramp = f.ramp;
  if (!ramp) return undefined;
  const steps: PlannedStep[] = [{ atMs: fromMs, value: ramp.from, ...actionOf(f) }];
  for (let k = 1; k <= ramp.steps; k++) {
    const atMs = fromMs + (k * ramp.overMs) / ramp.steps;
    if (atMs >= toMs) break;
    const value = roundRampValue(ramp.param, ramp.from + ((ramp.to - ramp.from) * k) / ramp.steps);
    steps.push({ atMs, value, ...actionOf({ ...f, [RAMP_FIELDS[ramp.param]]: value } as FaultSpec) });
  }
  return { param: ramp.param, steps };
}

/**
 * Resolves each scenario fault to its endpoints and to what its backend applies: one planned
 * fault per occurrence (a repeat or a flap gives several, all under the fault's name), each
 * with its ramp's steps resolved to what each step re-applies.
 */
export function planFaults(scenario: Scenario): PlannedFault[] {
  return scenario.faults.flatMap((f) =>
    occurrencesOf(f, scenario.load.durationMs).map(
      (o): PlannedFault => ({
        name: f.name,
        kind: f.kind,
        ...(f.kind === 'outage' && { shape: f.shape }),
        ...(o.occurrence !== undefined && { occurrence: o.occurrence }),
        fromMs: o.fromMs,
        toMs: o.toMs,
        keys: endpointsOf(scenario, f),
        ...actionOf(f),
        ...(f.ramp && { ramp: rampSteps(f, o.fromMs, o.toMs) }),
      }),
    ),
  );
}
