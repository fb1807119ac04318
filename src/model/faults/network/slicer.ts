/** Network `slicer`: data cut into packets of averageSize ± sizeVariation bytes, `delayMs` apart. */
import Type from 'typebox';
import { parseDuration } from '../../../core/units.ts';
import { duration, MAX_COUNT } from '../../quantities.ts';
import { networkBasics, networkFault, toxicKind, type NetworkCommon } from '../kind.ts';

export interface NetworkSlicerFault extends NetworkCommon {
  kind: 'slicer';
  averageSize: number;
  sizeVariation: number;
  delayMs: number;
}

const schema = networkFault('slicer', 'slice the data into small packets with delays between them.', {
  averageSize: Type.Integer({ minimum: 1, maximum: MAX_COUNT, description: 'Average packet size in bytes.' }),
  sizeVariation: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Variation of the packet size in bytes (less than averageSize). Default 0.' })),
  delay: Type.Optional(duration('Delay between packets. Default 0ms.')),
});

export const slicer = toxicKind<NetworkSlicerFault, typeof schema>({
  kind: 'slicer',
  schema,
  ramps: { toxicity: 'toxicity' },
  check(f, base, at) {
    const avg = f.averageSize;
    const variation = f.sizeVariation;
    if (Number.isInteger(avg) && Number.isInteger(variation) && (variation as number) >= (avg as number)) {
      at([...base, 'sizeVariation'], `sizeVariation must be less than averageSize (${String(avg)})`);
    }
  },
  normalize: (f, common) => ({
    ...networkBasics(f, common),
    kind: 'slicer',
    averageSize: f.averageSize,
    sizeVariation: f.sizeVariation ?? 0,
    delayMs: f.delay === undefined ? 0 : parseDuration(f.delay),
  }),
  // Toxiproxy's slicer delay is in microseconds.
  toxic: (f) => ({ type: 'slicer', attributes: { average_size: f.averageSize, size_variation: f.sizeVariation, delay: Math.round(f.delayMs * 1000) } }),
});
