import { defineToxic, HOUR_MS } from './toxic.ts';

/**
 * Stops all data getting through (it is dropped) and closes the connection after `timeout`
 * milliseconds without incoming data; 0 never closes. Each chunk restarts the countdown, as in
 * Toxiproxy, whose loop re-arms its timer on every read. Removing the toxic closes the
 * connection (as Toxiproxy's Cleanup does): bytes may have been dropped, so the stream cannot
 * go on intact.
 */
export const timeout = defineToxic<{ timeout: number }>({
  type: 'timeout',
  attributes: [{ key: 'timeout', min: 0, max: HOUR_MS, unit: 'milliseconds' }],
  open(attrs, { clock, out }) {
    let cancel: (() => void) | undefined;
    const arm = () => {
      cancel?.();
      cancel = attrs.timeout > 0 ? clock.schedule(attrs.timeout, () => out.close()) : undefined;
    };
    arm();
    return {
      write(chunk) {
        out.discard(chunk.data.length);
        arm();
      },
      end() {
        // The source closed: Toxiproxy closes the whole connection at once here.
        cancel?.();
        cancel = undefined;
        out.close();
      },
      stop() {
        cancel?.();
        cancel = undefined;
        return { chunks: [], ended: false, onRemove: 'close' };
      },
    };
  },
});
