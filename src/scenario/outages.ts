/**
 * Outage shapes (`layer: network, kind: outage, shape: ...`): the checks a JSON Schema cannot
 * express, and normalisation. Each shape is resolved to proxy state and toxics in
 * src/faults/plan.ts (`outageAction`).
 */
import { parseDuration, parsePercent } from '../core/units.ts';
import type { FaultSpec, RampSpec } from './model.ts';
import type { ScenarioFile } from './schema.ts';

type Raw = Record<string, unknown>;
type Path = (string | number)[];
type At = (p: Path, message: string, extra?: { expected?: string; found?: string }) => void;
type RawFault = NonNullable<ScenarioFile['faults']>[number];
type RampParam = RampSpec['param'];

/** Which parameters each outage shape can ramp. */
export const OUTAGE_RAMPS: Record<string, RampParam[]> = {
  down: [],
  flapping: [],
  blackhole: ['toxicity'],
  partial: ['toxicity'],
  slow: ['latency', 'kbps', 'toxicity'],
};

/** Which outage fields each shape reads; the others are refused rather than ignored. */
const OUTAGE_FIELDS: Record<string, string[]> = {
  down: [],
  flapping: [],
  blackhole: ['toxicity'],
  partial: ['toxicity'],
  slow: ['toxicity', 'latency', 'jitter', 'kbps'],
};

/**
 * Checks an outage's shape against its fields: what each shape needs (flapping's `flap` is
 * checked with the timeline), and fields a shape would ignore, refused rather than ignored.
 * `ramped` is the parameter the fault's ramp moves, which can stand in for a field.
 */
export function checkOutage(f: Raw, base: Path, at: At, ramped: RampParam | undefined): void {
  const shape = f.shape;
  if (typeof shape !== 'string' || !(shape in OUTAGE_FIELDS)) return;
  const allowed = OUTAGE_FIELDS[shape]!;
  for (const field of ['toxicity', 'latency', 'jitter', 'kbps']) {
    if (f[field] !== undefined && !allowed.includes(field)) {
      const users = Object.entries(OUTAGE_FIELDS)
        .filter(([, fields]) => fields.includes(field))
        .map(([s]) => s);
      at([...base, field], `${field} does not apply to shape ${shape} (only to ${users.join(', ')})`);
    }
  }
  if (shape === 'partial' && f.toxicity === undefined && ramped !== 'toxicity') {
    at([...base, 'shape'], 'shape partial needs `toxicity`: the share of connections reset, e.g. 30%');
  }
  if (shape === 'slow' && f.latency === undefined && f.kbps === undefined && ramped !== 'latency' && ramped !== 'kbps') {
    at([...base, 'shape'], 'shape slow needs `kbps` (a bandwidth limit), `latency`, or both');
  }
  if (shape === 'slow' && f.jitter !== undefined && f.latency === undefined && ramped !== 'latency') {
    at([...base, 'jitter'], 'jitter goes with latency');
  }
}

/**
 * A normalised outage: shapes keep their own fields; `flapping` has its `flap` (checked).
 * `common` is what every fault shares (name, target, window).
 */
export function normalizeOutage(f: Extract<RawFault, { kind: 'outage' }>, common: Pick<FaultSpec, 'name' | 'target' | 'fromMs' | 'toMs'>): FaultSpec {
  return {
    ...common,
    layer: 'network',
    kind: 'outage',
    shape: f.shape,
    toxicity: f.toxicity === undefined ? 1 : parsePercent(f.toxicity),
    ...(f.latency !== undefined && { latencyMs: parseDuration(f.latency) }),
    jitterMs: f.jitter === undefined ? 0 : parseDuration(f.jitter),
    ...(f.kbps !== undefined && { kbps: f.kbps }),
  };
}
