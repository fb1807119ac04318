/** Network `reset_peer`: TCP RST after `timeoutMs`. */
import Type from 'typebox';
import { parseDuration } from '../../../core/units.ts';
import { duration } from '../../quantities.ts';
import { networkBasics, networkFault, toxicKind, type NetworkCommon } from '../kind.ts';

export interface NetworkResetPeerFault extends NetworkCommon {
  kind: 'reset_peer';
  timeoutMs: number;
}

const schema = networkFault('reset_peer', 'reset the connection (TCP RST) after a timeout.', {
  timeout: Type.Optional(duration('How long until the reset. Default 0ms (at once).')),
});

export const resetPeer = toxicKind<NetworkResetPeerFault, typeof schema>({
  kind: 'reset_peer',
  schema,
  ramps: { toxicity: 'toxicity' },
  normalize: (f, common) => ({ ...networkBasics(f, common), kind: 'reset_peer', timeoutMs: f.timeout === undefined ? 0 : parseDuration(f.timeout) }),
  toxic: (f) => ({ type: 'reset_peer', attributes: { timeout: f.timeoutMs } }),
});
