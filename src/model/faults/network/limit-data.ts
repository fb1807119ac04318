/** Network `limit_data`: the connection closes after `bytes`. */
import Type from 'typebox';
import { MAX_COUNT } from '../../quantities.ts';
import { networkBasics, networkFault, toxicKind, type NetworkCommon } from '../kind.ts';

export interface NetworkLimitDataFault extends NetworkCommon {
  kind: 'limit_data';
  bytes: number;
}

const schema = networkFault('limit_data', 'close the connection after a number of bytes.', {
  bytes: Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Bytes let through before the connection is closed.' }),
});

export const limitData = toxicKind<NetworkLimitDataFault, typeof schema>({
  kind: 'limit_data',
  schema,
  ramps: { toxicity: 'toxicity' },
  normalize: (f, common) => ({ ...networkBasics(f, common), kind: 'limit_data', bytes: f.bytes }),
  toxic: (f) => ({ type: 'limit_data', attributes: { bytes: f.bytes } }),
});
