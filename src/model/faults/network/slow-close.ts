/** Network `slow_close`: the connection's close delayed by `delayMs`. */
import { parseDuration } from '../../../core/units.ts';
import { duration } from '../../quantities.ts';
import { networkBasics, networkFault, toxicKind, type NetworkCommon } from '../kind.ts';

export interface NetworkSlowCloseFault extends NetworkCommon {
  kind: 'slow_close';
  delayMs: number;
}

const schema = networkFault('slow_close', 'delay the connection close.', {
  delay: duration('How long the close is delayed.'),
});

export const slowClose = toxicKind<NetworkSlowCloseFault, typeof schema>({
  kind: 'slow_close',
  schema,
  ramps: { toxicity: 'toxicity' },
  normalize: (f, common) => ({ ...networkBasics(f, common), kind: 'slow_close', delayMs: parseDuration(f.delay) }),
  toxic: (f) => ({ type: 'slow_close', attributes: { delay: f.delayMs } }),
});
