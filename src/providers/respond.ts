/**
 * The fixtures' JSON answers: `json` is MSW's `HttpResponse.json` as it reaches a client (the
 * status and its reason phrase, `content-type: application/json` (unless given), a `content-length`, the body as
 * JSON text). It is a plain `Response` over the encoded bytes, without what `HttpResponse`
 * adds for MSW's browser features (its own `Headers` copies, a `Blob` to measure the length,
 * Set-Cookie bookkeeping): a third of a provider's cost per request in the simulator.
 * On the wire (the fixture server writes the status, the headers and the bytes) the two are
 * the same answer.
 */
import { STATUS_CODES } from 'node:http';

const encoder = new TextEncoder();

export interface JsonInit {
  status?: number;
  headers?: Record<string, string>;
}

/** A JSON response, as `HttpResponse.json(body, init)` sends it. */
export function json(body: unknown, init: JsonInit = {}): Response {
  const status = init.status ?? 200;
  const bytes = encoder.encode(JSON.stringify(body) ?? '');
  const headers: Record<string, string> = { ...init.headers };
  // Each only if not given, as HttpResponse.json sets them; names case-insensitively, as Headers has them.
  const given = init.headers ? new Set(Object.keys(init.headers).map((k) => k.toLowerCase())) : undefined;
  if (!given?.has('content-type')) headers['content-type'] = 'application/json';
  if (!given?.has('content-length')) headers['content-length'] = String(bytes.byteLength);
  return new Response(bytes, { status, statusText: STATUS_CODES[status] ?? '', headers });
}
