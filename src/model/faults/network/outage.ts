/**
 * Network `outage`: an outage named by its shape, as people describe one. One kind, a small
 * family of shapes (down, blackhole, flapping, partial, slow) that share the schema branch
 * and the normalised type; each shape's fields, ramps and proxy state and toxics are a row
 * or a case here. No `stream`: each shape picks the directions that make it what it is.
 */
import Type from 'typebox';
import { parseDuration, parsePercent } from '../../../core/units.ts';
import { duration, MAX_COUNT, percent } from '../../quantities.ts';
import { faultCommon, faultTiming, networkLayer, type FaultCommon } from '../common.ts';
import type { NamedToxic, NetworkAction, NetworkKind, RampFields, ToxicSpec } from '../kind.ts';

export type OutageShape = 'down' | 'blackhole' | 'flapping' | 'partial' | 'slow';

/**
 * An outage of a named shape, resolved by `plan` to proxy state and toxics:
 * `down` and `flapping` disable the proxy (`flapping` always comes with `flap`),
 * `blackhole` adds timeout-0 toxics both ways, `partial` resets a `toxicity` share of
 * connections upstream, `slow` limits bandwidth (`kbps`) and/or adds `latencyMs` downstream.
 */
export interface NetworkOutageFault extends FaultCommon {
  layer: 'network';
  kind: 'outage';
  shape: OutageShape;
  /** Fraction of connections affected (blackhole, partial, slow). */
  toxicity: number;
  latencyMs?: number;
  jitterMs: number;
  kbps?: number;
}

const schema = Type.Object(
  {
    ...faultCommon,
    layer: networkLayer(),
    kind: Type.Literal('outage', { description: 'an outage of a given shape: down, blackhole, flapping, partial or slow.' }),
    shape: Type.Union(
      [
        Type.Literal('down', { description: 'Connections refused: the proxy is disabled.' }),
        Type.Literal('blackhole', { description: 'Connections hang: nothing gets through either way and nothing is closed (timeout toxics of 0 on both streams).' }),
        Type.Literal('flapping', { description: 'Down and back up, again and again: `down` switched by `flap: { down: 2s, up: 3s }` (required).' }),
        Type.Literal('partial', { description: 'A share of connections (`toxicity`, required) is reset as the request is sent; the provider never sees it.' }),
        Type.Literal('slow', { description: 'Responses slowed: bandwidth limited to `kbps`, and/or `latency` (± `jitter`) added; at least one.' }),
      ],
      { description: 'The shape of the outage: down, blackhole, flapping, partial or slow.' },
    ),
    ...faultTiming,
    toxicity: Type.Optional(percent('Share of connections affected: required by partial (e.g. 30%); blackhole and slow default to 100%.')),
    latency: Type.Optional(duration('slow: latency added to responses, e.g. 800ms.')),
    jitter: Type.Optional(duration('slow: uniform jitter on the latency (± jitter). Default 0ms.')),
    kbps: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_COUNT, expected: 'a number of KB/s ≥ 0', description: 'slow: responses limited to this many KB per second.' })),
  },
  {
    additionalProperties: false,
    description:
      'Network outage of a named shape, e.g. `{ kind: outage, shape: blackhole, target: { provider: stripe, region: eu }, from: 5s, to: 35s }`.',
  },
);

/** Which parameters each outage shape can ramp, and the field each moves. */
const OUTAGE_RAMPS: Record<OutageShape, RampFields> = {
  down: {},
  flapping: {},
  blackhole: { toxicity: 'toxicity' },
  partial: { toxicity: 'toxicity' },
  slow: { latency: 'latencyMs', kbps: 'kbps', toxicity: 'toxicity' },
};

/** Which outage fields each shape reads; the others are refused rather than ignored. */
const OUTAGE_FIELDS: Record<OutageShape, string[]> = {
  down: [],
  flapping: [],
  blackhole: ['toxicity'],
  partial: ['toxicity'],
  slow: ['toxicity', 'latency', 'jitter', 'kbps'],
};

const isShape = (v: unknown): v is OutageShape => typeof v === 'string' && Object.hasOwn(OUTAGE_FIELDS, v);

export const outage: NetworkKind<NetworkOutageFault, typeof schema> = {
  layer: 'network',
  kind: 'outage',
  schema,
  listed: 'and outage (with a `shape`)',
  ramps: (f) => (isShape(f.shape) ? OUTAGE_RAMPS[f.shape] : {}),
  /**
   * The shape against its fields: what each shape needs (flapping its `flap`), and fields a
   * shape would ignore, refused rather than ignored. The ramped parameter can stand in for a field.
   */
  check(f, base, at, { ramped }) {
    const shape = f.shape;
    if (!isShape(shape)) return;
    const allowed = OUTAGE_FIELDS[shape];
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
    const flap = f.flap !== null && typeof f.flap === 'object' && !Array.isArray(f.flap);
    if (shape === 'flapping' && !flap) {
      at([...base, 'shape'], 'shape flapping needs `flap: { down: 2s, up: 3s }`: how long each outage lasts and how long the provider is back between them');
    }
  },
  normalize: (f, common) => ({
    ...common,
    layer: 'network',
    kind: 'outage',
    shape: f.shape,
    toxicity: f.toxicity === undefined ? 1 : parsePercent(f.toxicity),
    ...(f.latency !== undefined && { latencyMs: parseDuration(f.latency) }),
    jitterMs: f.jitter === undefined ? 0 : parseDuration(f.jitter),
    ...(f.kbps !== undefined && { kbps: f.kbps }),
  }),
  /** Toxics are named after the fault, with the part they play when a shape needs more than one (`stripe-eu-out-upstream`). */
  plan(f): NetworkAction {
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
  },
};
