/**
 * HTTP `reset`: the real response's status line and headers (with its full Content-Length),
 * then the connection dropped before any byte of the body — a connection reset after the
 * head, as a crashing upstream or a proxy losing its peer gives. The client has its status
 * and then a body that never comes.
 *
 * The raw behaviour is truncate's: a streamed response whose body stream errors at once
 * (src/providers/server.ts writes the head, then destroys the socket).
 */
import { FAULT_HEADER, passOn, real, streamed } from '../http-stage.ts';
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';

export interface HttpResetFault extends HttpScoped {
  kind: 'reset';
}

/** Send the status and headers, then drop the connection before the body. */
export interface ResetAction {
  kind: 'reset';
}

const schema = httpFault('reset', 'send the status and the headers, then drop the connection before any of the body.', {
  rate: rate('Share of requests reset. Default 100%.'),
});

export const reset: RequestKind<HttpResetFault, ResetAction, typeof schema> = {
  layer: 'http',
  kind: 'reset',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  normalize: (f, common) => ({ ...common, layer: 'http', kind: 'reset', rate: rateOf(f.rate) }),
  plan: () => ({ kind: 'reset' }),
  async act(f, request, ctx) {
    const got = await real(request, ctx);
    if (passOn(got)) return got;
    const { res, body, headers } = got;
    if (body.length === 0) return Response.error(); // no body to withhold: a complete head would be a complete answer
    headers.set('content-length', String(body.length)); // the client expects all of it
    headers.set(FAULT_HEADER, f.name);
    const stream = new ReadableStream<Uint8Array>(
      {
        // An empty first chunk: MSW's in-process interceptor sends the head with the first
        // chunk. The error waits one turn of the event loop, so the head is out first.
        start: (c) => c.enqueue(new Uint8Array(0)),
        pull: async (c) => {
          await new Promise((resolve) => setImmediate(resolve));
          c.error(new Error(`reset by fault ${f.name} after the head, before ${body.length} bytes of body`));
        },
      },
      { highWaterMark: 1 },
    );
    return streamed(new Response(stream, { status: res.status, statusText: res.statusText, headers }));
  },
};
