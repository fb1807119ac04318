import { defineToxic } from './toxic.ts';

/**
 * Lets `bytes` bytes through, then closes the connection. The count is kept per connection
 * and survives updates of the toxic (Toxiproxy's stateful toxic), so raising the limit lets
 * a connection continue from where it was.
 */
export const limitData = defineToxic<{ bytes: number }, { transmitted: number }>({
  type: 'limit_data',
  attributes: [{ key: 'bytes', min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'bytes' }],
  newState: () => ({ transmitted: 0 }),
  open(attrs, { out }, state) {
    return {
      write(chunk) {
        const room = Math.max(0, attrs.bytes - state.transmitted);
        if (room > 0) {
          const data = chunk.data.length > room ? chunk.data.subarray(0, room) : chunk.data;
          state.transmitted += data.length;
          out.push(data === chunk.data ? chunk : { data, at: chunk.at });
        }
        out.discard(chunk.data.length - Math.min(room, chunk.data.length));
        if (state.transmitted >= attrs.bytes) out.close();
      },
      end() {
        out.end();
      },
      stop() {
        return { chunks: [], ended: false };
      },
    };
  },
});
