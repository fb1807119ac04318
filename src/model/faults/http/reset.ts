/**
 * HTTP `reset`: the real response's status line and headers (with its full Content-Length),
 * then the connection dropped before any byte of the body — a connection reset after the
 * head, as a crashing upstream or a proxy losing its peer gives. The client has its status
 * and then a body that never comes.
 *
 * The raw behaviour is truncate's (`cutShort`, ../http-stage.ts): a streamed response whose
 * body stream errors at once (src/providers/server.ts writes the head, then destroys the socket).
 */
import { cutShort, passOn, real } from '../http-stage.ts';
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
    const { body } = got;
    if (body.length === 0) return Response.error(); // no body to withhold: a complete head would be a complete answer
    // An empty first chunk: the head goes out with it, and then nothing of the body.
    return cutShort(got, new Uint8Array(0), f.name, `reset by fault ${f.name} after the head, before ${body.length} bytes of body`);
  },
};
