/** Network `down`: the proxy refuses connections (disabled), the provider unreachable. */
import { networkBasics, networkFault, type NetworkCommon, type NetworkKind } from '../kind.ts';

export interface NetworkDownFault extends NetworkCommon {
  kind: 'down';
}

const schema = networkFault('down', 'the proxy refuses connections (provider unreachable).', {});

export const down: NetworkKind<NetworkDownFault, typeof schema> = {
  layer: 'network',
  kind: 'down',
  schema,
  // A disabled proxy has no parameter: toxicity means nothing to it.
  ramps: {},
  normalize: (f, common) => ({ ...networkBasics(f, common), kind: 'down' }),
  plan: () => ({ kind: 'down' }),
};
