import { defineToxic, HOUR_MS, TIMER_SLACK_MS, type Chunk } from './toxic.ts';

/**
 * Delays every chunk by `latency` ± `jitter` milliseconds (uniform), measured from when the
 * chunk reached this stage. Chunks leave in order: one drawn shorter than its predecessor's
 * waits for it, as in Toxiproxy, whose latency stage handles chunks one at a time.
 */
export const latency = defineToxic<{ latency: number; jitter: number }>({
  type: 'latency',
  attributes: [
    { key: 'latency', min: 0, max: HOUR_MS, unit: 'milliseconds' },
    { key: 'jitter', min: 0, max: HOUR_MS, unit: 'milliseconds' },
  ],
  open(attrs, { clock, rng, out }) {
    const queue: Array<{ chunk: Chunk; due: number }> = [];
    let ended = false;
    let cancel: (() => void) | undefined;

    const delay = () => {
      if (attrs.jitter <= 0) return attrs.latency;
      return Math.max(0, attrs.latency + (rng.next() * 2 - 1) * attrs.jitter);
    };

    const flush = () => {
      cancel = undefined;
      while (queue.length > 0) {
        const head = queue[0]!;
        const wait = head.due - clock.now();
        if (wait >= TIMER_SLACK_MS) {
          cancel = clock.schedule(wait, flush);
          return;
        }
        queue.shift();
        out.push(head.chunk);
      }
      if (ended) out.end();
    };

    return {
      write(chunk) {
        queue.push({ chunk, due: chunk.at + delay() });
        if (!cancel) flush();
      },
      end() {
        ended = true;
        if (!cancel) flush();
      },
      stop() {
        cancel?.();
        cancel = undefined;
        return { chunks: queue.splice(0).map((q) => q.chunk), ended };
      },
    };
  },
});
