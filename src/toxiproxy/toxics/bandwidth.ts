import { defineToxic, type Chunk } from './toxic.ts';

/** Data goes out in pieces of at most this much time, so a low rate still trickles instead of stalling. */
const SLICE_MS = 100;

/**
 * Limits throughput to `rate` KB/s (1 KB = 1000 bytes, Toxiproxy's unit). Each piece leaves when
 * its transmission would have finished; the schedule is kept in virtual time, so timer
 * granularity does not accumulate into a rate error. A rate of 0 passes nothing until the
 * toxic is changed or removed (real Toxiproxy stalls the same way at 0).
 */
export const bandwidth = defineToxic<{ rate: number }>({
  type: 'bandwidth',
  attributes: [{ key: 'rate', min: 0, max: 10_000_000, unit: 'KB/s' }],
  open(attrs, { clock, out }) {
    const queue: Chunk[] = [];
    let ended = false;
    let cancel: (() => void) | undefined;
    /** When the wire is next free. Idle time earns no credit, as in Toxiproxy. */
    let freeAt = -Infinity;
    // Times are computed from the start of a busy period, not summed piece by piece, so
    // floating-point error cannot build up over thousands of pieces.
    let busySince = 0;
    let busyBytes = 0;
    const bytesPerMs = attrs.rate; // rate KB/s = rate bytes per millisecond

    const pump = () => {
      cancel = undefined;
      while (queue.length > 0) {
        if (bytesPerMs <= 0) return;
        const head = queue[0]!;
        const size = Math.min(head.data.length, bytesPerMs * SLICE_MS);
        const done = busySince + (busyBytes + size) / bytesPerMs;
        const wait = done - clock.now();
        if (wait > 0) {
          // The piece is "on the wire" until `done`; remember where the wire frees up.
          cancel = clock.schedule(wait, () => {
            cancel = undefined;
            freeAt = done;
            busyBytes += size;
            send(size);
            pump();
          });
          return;
        }
        freeAt = done;
        busyBytes += size;
        send(size);
      }
      if (ended) out.end();
    };

    const send = (size: number) => {
      const head = queue[0]!;
      if (size >= head.data.length) {
        queue.shift();
        out.push(head);
      } else {
        out.push({ data: head.data.subarray(0, size), at: head.at });
        queue[0] = { data: head.data.subarray(size), at: head.at };
      }
    };

    return {
      write(chunk) {
        // A new busy period starts only from idle; a timer firing late must not restart it,
        // or every late wake-up would slow the rate down a little more.
        if (queue.length === 0 && clock.now() > freeAt) {
          busySince = clock.now();
          busyBytes = 0;
        }
        queue.push(chunk);
        if (!cancel) pump();
      },
      end() {
        ended = true;
        if (!cancel) pump();
      },
      stop() {
        cancel?.();
        cancel = undefined;
        return { chunks: queue.splice(0), ended };
      },
    };
  },
});
