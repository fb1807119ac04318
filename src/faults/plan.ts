import type { FaultSpec, NetworkFault, Scenario } from '../scenario/model.ts';
import type { HttpFault } from '../fixtures/http-faults.ts';
import type { PlannedFault, ToxicSpec } from './backends.ts';

const key = (provider: string, region?: string) => (region ? `${provider}@${region}` : provider);

/** The endpoints a fault hits: one region of the provider, or all of them. */
function endpointsOf(scenario: Scenario, fault: FaultSpec): string[] {
  const provider = scenario.providers.find((p) => p.name === fault.target.provider);
  if (!provider) throw new Error(`fault ${fault.name} targets unknown provider ${fault.target.provider}`);
  if (fault.target.region) return [key(provider.name, fault.target.region)];
  return provider.regions.length ? provider.regions.map((r) => key(provider.name, r)) : [provider.name];
}

/** A network fault in Toxiproxy's own units: what its API takes, attribute for attribute. */
export function toToxic(f: Exclude<NetworkFault, { kind: 'down' }>): ToxicSpec {
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

function toHttp(f: Extract<FaultSpec, { layer: 'http' }>): HttpFault {
  switch (f.kind) {
    case 'error':
      return { name: f.name, kind: 'error', route: f.target.route, rate: f.rate, status: f.status, retryAfterMs: f.retryAfterMs };
    case 'latency':
      return { name: f.name, kind: 'latency', route: f.target.route, rate: f.rate, latencyMs: f.latencyMs, jitterMs: f.jitterMs };
  }
}

/** Resolves each scenario fault to its endpoints and to what its backend applies. */
export function planFaults(scenario: Scenario): PlannedFault[] {
  return scenario.faults.map((f): PlannedFault => {
    const common = { name: f.name, kind: f.kind, fromMs: f.fromMs, toMs: f.toMs, keys: endpointsOf(scenario, f) };
    if (f.layer === 'http') return { ...common, layer: 'http', http: toHttp(f) };
    return { ...common, layer: 'network', network: f.kind === 'down' ? { kind: 'down' } : { kind: 'toxic', toxic: toToxic(f) } };
  });
}
