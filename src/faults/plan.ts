/**
 * Fault planning: each scenario fault resolved to the endpoints it hits, one planned fault per
 * occurrence, with what switching it on applies — its kind's plan step (src/model/faults/:
 * the HTTP stage's action, or Toxiproxy proxy state and toxics) — and its ramp's steps.
 */
import type { RampParam } from '../model/faults/common.ts';
import { planAction, rampField, type FaultSpec } from '../model/faults/index.ts';
import type { Scenario } from '../model/scenario.ts';
import type { PlannedFault, PlannedStep } from './backends.ts';

const key = (provider: string, region?: string) => (region ? `${provider}@${region}` : provider);

/** The endpoints a fault hits: one region of the provider, or all of them. */
function endpointsOf(scenario: Scenario, fault: FaultSpec): string[] {
  const provider = scenario.providers.find((p) => p.name === fault.target.provider);
  if (!provider) throw new Error(`fault ${fault.name} targets unknown provider ${fault.target.provider}`);
  if (fault.target.region) return [key(provider.name, fault.target.region)];
  return provider.regions.length ? provider.regions.map((r) => key(provider.name, r)) : [provider.name];
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
function roundRampValue(param: RampParam, v: number): number {
  return param === 'latency' || param === 'kbps' ? Math.round(v) : Math.round(v * 1e6) / 1e6;
}

/** A ramp's steps in one occurrence: step 0 at the switch-on, then each step due before the switch-off. */
function rampSteps(f: FaultSpec, fromMs: number, toMs: number): PlannedFault['ramp'] {
  const ramp = f.ramp;
  if (!ramp) return undefined;
  const steps: PlannedStep[] = [{ atMs: fromMs, value: ramp.from, ...planAction(f) }];
  for (let k = 1; k <= ramp.steps; k++) {
    const atMs = fromMs + (k * ramp.overMs) / ramp.steps;
    if (atMs >= toMs) break;
    const value = roundRampValue(ramp.param, ramp.from + ((ramp.to - ramp.from) * k) / ramp.steps);
    steps.push({ atMs, value, ...planAction({ ...f, [rampField(f, ramp.param)]: value } as FaultSpec) });
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
        ...planAction(f),
        ...(f.ramp && { ramp: rampSteps(f, o.fromMs, o.toMs) }),
      }),
    ),
  );
}
