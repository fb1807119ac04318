import { defineToxic, HOUR_MS } from './toxic.ts';

/** Passes data straight through but holds the end of the stream back for `delay` milliseconds. */
export const slowClose = defineToxic<{ delay: number }>({
  type: 'slow_close',
  attributes: [{ key: 'delay', min: 0, max: HOUR_MS, unit: 'milliseconds' }],
  open(attrs, { clock, out }) {
    let ended = false;
    let cancel: (() => void) | undefined;
    return {
      write(chunk) {
        out.push(chunk);
      },
      end() {
        ended = true;
        cancel = clock.schedule(attrs.delay, () => {
          cancel = undefined;
          ended = false;
          out.end();
        });
      },
      stop() {
        cancel?.();
        cancel = undefined;
        // Unlike Toxiproxy, a slow_close removed mid-delay hands the end on instead of losing it.
        return { chunks: [], ended };
      },
    };
  },
});
