/** Network `latency`: the data on the connection delayed by `latencyMs` ± `jitterMs` (Toxiproxy `latency`). */
import Type from 'typebox';
import { parseDuration } from '../../../core/units.ts';
import { duration } from '../../quantities.ts';
import { networkBasics, networkFault, toxicKind, type NetworkCommon } from '../kind.ts';

export interface NetworkLatencyFault extends NetworkCommon {
  kind: 'latency';
  latencyMs: number;
  jitterMs: number;
}

const schema = networkFault('latency', 'delay the data on the connection.', {
  latency: duration('Added delay, e.g. 800ms.'),
  jitter: Type.Optional(duration('Uniform jitter: each delay is latency ± jitter. Default 0ms.')),
});

export const latency = toxicKind<NetworkLatencyFault, typeof schema>({
  kind: 'latency',
  schema,
  ramps: { latency: 'latencyMs', toxicity: 'toxicity' },
  normalize: (f, common) => ({ ...networkBasics(f, common), kind: 'latency', latencyMs: parseDuration(f.latency), jitterMs: f.jitter === undefined ? 0 : parseDuration(f.jitter) }),
  toxic: (f) => ({ type: 'latency', attributes: { latency: f.latencyMs, jitter: f.jitterMs } }),
});
