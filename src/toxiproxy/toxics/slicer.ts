import type { Rng } from '../../core/rng.ts';
import { defineToxic, type Chunk } from './toxic.ts';

/**
 * Cuts each chunk into pieces of about `average_size` ± `size_variation` bytes and sends them
 * `delay` microseconds apart, to exercise code that assumes one read returns one message.
 * Pieces are chosen like Toxiproxy's: split near the middle, recursively, so no end of the
 * chunk tends to get the small pieces. Validation keeps `size_variation < average_size`, which
 * guarantees every split makes progress (Toxiproxy recurses forever on `average_size` 0).
 */
export const slicer = defineToxic<{ average_size: number; size_variation: number; delay: number }>({
  type: 'slicer',
  attributes: [
    { key: 'average_size', min: 1, max: 16_777_216, unit: 'bytes' },
    { key: 'size_variation', min: 0, max: 16_777_215, unit: 'bytes' },
    { key: 'delay', min: 0, max: 3_600_000_000, unit: 'microseconds' },
  ],
  check(attrs) {
    if (attrs.size_variation >= attrs.average_size) {
      return `slicer.size_variation (${attrs.size_variation}) must be smaller than slicer.average_size (${attrs.average_size})`;
    }
    return undefined;
  },
  open(attrs, { clock, rng, out }) {
    const pending: Chunk[] = [];
    let ended = false;
    let cancel: (() => void) | undefined;
    const delayMs = attrs.delay / 1000;

    const pump = () => {
      cancel = undefined;
      while (pending.length > 0) {
        out.push(pending.shift()!);
        if (delayMs > 0) {
          // Toxiproxy waits after every piece, the last one included.
          cancel = clock.schedule(delayMs, pump);
          return;
        }
      }
      if (ended) out.end();
    };

    return {
      write(chunk) {
        const cuts = sliceOffsets(chunk.data.length, attrs.average_size, attrs.size_variation, rng);
        for (let i = 1; i < cuts.length; i++) {
          pending.push({ data: chunk.data.subarray(cuts[i - 1], cuts[i]), at: chunk.at });
        }
        if (!cancel) pump();
      },
      end() {
        ended = true;
        if (!cancel) pump();
      },
      stop() {
        cancel?.();
        cancel = undefined;
        return { chunks: pending.splice(0), ended };
      },
    };
  },
});

/** Offsets [0, ..., size] of the pieces of a chunk of `size` bytes. */
export function sliceOffsets(size: number, average: number, variation: number, rng: Rng): number[] {
  const cuts = [0];
  // An explicit stack instead of recursion: left pieces first, so offsets come out ascending.
  const stack: Array<[number, number]> = [[0, size]];
  while (stack.length > 0) {
    const [start, end] = stack.pop()!;
    if (end - start - average <= variation) {
      if (end > start) cuts.push(end);
      continue;
    }
    const offset = variation > 0 ? Math.floor(rng.next() * 2 * variation) - variation : 0;
    const mid = start + Math.floor((end - start) / 2) + offset;
    stack.push([mid, end], [start, mid]);
  }
  return cuts;
}
