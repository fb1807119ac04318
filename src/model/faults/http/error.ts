/** HTTP `error`: an error status instead of the real response, for a share `rate` of requests. */
import Type from 'typebox';
import { parseDuration } from '../../../core/units.ts';
import { duration } from '../../quantities.ts';
import { FAULT_HEADER } from '../http-stage.ts';
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';

export interface HttpErrorFault extends HttpScoped {
  kind: 'error';
  status: number;
  /** Retry-After to send (only with 429 or 503). */
  retryAfterMs?: number;
}

/** Answer with `status` instead of the real response; Retry-After with 429/503 if given. */
export interface ErrorAction {
  kind: 'error';
  status: number;
  retryAfterMs?: number;
}

const schema = httpFault('error', 'answer with an error status instead of the real response.', {
  rate: rate('Share of requests that fail. Default 100%.'),
  status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, expected: 'an HTTP status from 400 to 599', description: 'The status to answer with. Default 503.' })),
  retryAfter: Type.Optional(duration('Retry-After header to send (status 429 or 503 only).')),
});

export const error: RequestKind<HttpErrorFault, ErrorAction, typeof schema> = {
  layer: 'http',
  kind: 'error',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  check(f, base, at) {
    if (f.retryAfter === undefined) return;
    const status = f.status ?? 503;
    if (typeof status === 'number' && status !== 429 && status !== 503) at([...base, 'retryAfter'], `retryAfter goes with status 429 or 503, not ${status}`);
  },
  normalize: (f, common) => ({
    ...common,
    layer: 'http',
    kind: 'error',
    rate: rateOf(f.rate),
    status: f.status ?? 503,
    ...(f.retryAfter !== undefined && { retryAfterMs: parseDuration(f.retryAfter) }),
  }),
  plan: (f) => ({ kind: 'error', status: f.status, ...(f.retryAfterMs !== undefined && { retryAfterMs: f.retryAfterMs }) }),
  act: (f) => Promise.resolve(errorResponse(f.name, f.status, f.retryAfterMs)),
};

function errorResponse(name: string, status: number, retryAfterMs?: number): Response {
  const headers: Record<string, string> = { [FAULT_HEADER]: name };
  if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
  const body = { error: 'injected fault', fault: name, status };
  // The length as MSW's HttpResponse.json stated it, for clients served in-process.
  headers['content-length'] = String(new TextEncoder().encode(JSON.stringify(body)).length);
  return Response.json(body, { status, headers });
}
