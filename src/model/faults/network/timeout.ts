/** Network `timeout`: data stops; the connection closes after `timeoutMs` (0: held open forever, as Toxiproxy). */
import Type from 'typebox';
import { parseDuration } from '../../../core/units.ts';
import { duration } from '../../quantities.ts';
import { networkBasics, networkFault, toxicKind, type NetworkCommon } from '../kind.ts';

export interface NetworkTimeoutFault extends NetworkCommon {
  kind: 'timeout';
  timeoutMs: number;
}

const schema = networkFault('timeout', 'stop all data and close the connection after a timeout (0 = hold it forever).', {
  timeout: Type.Optional(duration('How long until the connection is closed; 0ms holds it open forever. Default 0ms.')),
});

export const timeout = toxicKind<NetworkTimeoutFault, typeof schema>({
  kind: 'timeout',
  schema,
  ramps: { toxicity: 'toxicity' },
  normalize: (f, common) => ({ ...networkBasics(f, common), kind: 'timeout', timeoutMs: f.timeout === undefined ? 0 : parseDuration(f.timeout) }),
  toxic: (f) => ({ type: 'timeout', attributes: { timeout: f.timeoutMs } }),
});
