/**
 * What the simulator has no model for, found before anything runs: every problem at once,
 * never a silent default. A scenario that runs live runs here unchanged when none is found.
 */
import type { PlannedFault } from '../faults/backends.ts';
import type { Scenario } from '../model/scenario.ts';
import { MODELLED_TOXICS } from './network.ts';

/** The HTTP fault kinds with a model: the live provider stage runs them (./provider.ts). */
export const MODELLED_HTTP_KINDS = new Set(['error', 'latency', 'hang', 'capacity', 'reset', 'malformed', 'content_type', 'slow_headers', 'truncate', 'slow_body']);
/** The network fault kinds with a model (./network.ts), outage by its shapes. */
export const MODELLED_NETWORK_KINDS = new Set(['down', 'timeout', 'reset_peer', 'latency', 'outage']);

/** A scenario part the simulator has no model for (a fault kind, a target kind): every one at once, never silently ignored. */
export class SimUnsupportedError extends Error {
  override name = 'SimUnsupportedError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`the simulator cannot run this scenario:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Every part of `scenario` (and of its planned faults) without a model; empty when it can be simulated. */
export function unsupportedParts(scenario: Scenario, planned: PlannedFault[]): string[] {
  const problems: string[] = [];
  const t = scenario.target;
  if (t.kind !== 'router') {
    problems.push(`target \`${t.kind}\`: the simulator runs only the reference router (\`target.router\`); a service of your own needs a live run`);
  }
  for (const p of scenario.providers) {
    if (p.kind !== 'fixture') problems.push(`provider \`${p.name}\`: a \`${p.kind}\` provider has no model (only bundled fixtures are simulated)`);
  }
  const seen = new Set<string>();
  const once = (id: string, text: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    problems.push(text);
  };
  for (const f of scenario.faults) {
    const modelled = f.layer === 'http' ? MODELLED_HTTP_KINDS : MODELLED_NETWORK_KINDS;
    if (!modelled.has(f.kind)) once(`kind:${f.name}`, `fault \`${f.name}\`: ${f.layer} \`${f.kind}\` has no model`);
  }
  // The toxics the planner resolved (outage shapes, ramp steps included) must each have a model.
  for (const f of planned) {
    if (seen.has(`kind:${f.name}`)) continue;
    const actions = [f, ...(f.ramp?.steps ?? [])];
    for (const a of actions) {
      if (a.layer !== 'network' || a.network.kind !== 'toxics') continue;
      for (const toxic of a.network.toxics) {
        if (!MODELLED_TOXICS.has(toxic.type)) {
          const what = f.kind === 'outage' ? `outage shape \`${f.shape}\` uses a \`${toxic.type}\` toxic` : `its \`${toxic.type}\` toxic`;
          once(`toxic:${f.name}:${toxic.type}`, `fault \`${f.name}\`: ${what}, which has no model`);
        }
      }
    }
  }
  return problems;
}
