import { defineToxic, HOUR_MS } from './toxic.ts';

/**
 * Simulates "connection reset by peer": on the first data (or end of stream) to reach it, the
 * stage swallows everything and, `timeout` milliseconds later, aborts the connection with a TCP
 * RST on both sides. Unlike Toxiproxy, which only sets SO_LINGER=0 on connections that had the
 * toxic when they opened, this resets connections the toxic is added to later as well.
 * Removed after it has swallowed data, it still resets (as Toxiproxy's does): the stream
 * lost bytes and cannot go on, and a request it ate must not be left hanging.
 */
export const resetPeer = defineToxic<{ timeout: number }>({
  type: 'reset_peer',
  attributes: [{ key: 'timeout', min: 0, max: HOUR_MS, unit: 'milliseconds' }],
  open(attrs, { clock, out }) {
    let cancel: (() => void) | undefined;
    let triggered = false;
    const trigger = () => {
      if (triggered) return;
      triggered = true;
      cancel = clock.schedule(attrs.timeout, () => {
        cancel = undefined;
        out.reset();
      });
    };
    return {
      write(chunk) {
        out.discard(chunk.data.length);
        trigger();
      },
      end() {
        trigger();
      },
      stop() {
        cancel?.();
        cancel = undefined;
        return { chunks: [], ended: false, ...(triggered ? { onRemove: 'reset' as const } : {}) };
      },
    };
  },
});
