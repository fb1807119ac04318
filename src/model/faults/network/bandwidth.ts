/** Network `bandwidth`: a rate limit in KB/s (Toxiproxy bandwidth `rate`). */
import Type from 'typebox';
import { MAX_COUNT } from '../../quantities.ts';
import { networkBasics, networkFault, toxicKind, type NetworkCommon } from '../kind.ts';

export interface NetworkBandwidthFault extends NetworkCommon {
  kind: 'bandwidth';
  kbps: number;
}

const schema = networkFault('bandwidth', 'limit the connection to a rate.', {
  kbps: Type.Number({ minimum: 0, maximum: MAX_COUNT, expected: 'a number of KB/s ≥ 0', description: 'Rate limit in KB per second (Toxiproxy bandwidth `rate`).' }),
});

export const bandwidth = toxicKind<NetworkBandwidthFault, typeof schema>({
  kind: 'bandwidth',
  schema,
  ramps: { toxicity: 'toxicity', kbps: 'kbps' },
  normalize: (f, common) => ({ ...networkBasics(f, common), kind: 'bandwidth', kbps: f.kbps }),
  toxic: (f) => ({ type: 'bandwidth', attributes: { rate: f.kbps } }),
});
