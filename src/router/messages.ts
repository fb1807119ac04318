/**
 * The values the router takes and gives (server.ts maps them to and from node:http), the
 * headers it adds to say who answered, and the rules for the headers it passes on.
 */

/** Names who answered: a provider key, or `none` when the router answered itself. */
export const PROVIDER_HEADER = 'x-faultline-provider';
/** Names the fallback tier that answered, when it was not the first. */
export const FALLBACK_HEADER = 'x-faultline-fallback';
/** On a canary route: the arm the client is on, `baseline` or `canary`. */
export const ARM_HEADER = 'x-faultline-arm';
/** On an LLM route: the registry model that answered. */
export const MODEL_HEADER = 'x-faultline-model';

export interface RouterRequest {
  method: string;
  /** Path with query, as received: `/weather/oslo?units=metric`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Uint8Array;
  /** Aborts when the client goes away. */
  signal?: AbortSignal;
  /**
   * The socket's peer address (server.ts passes `req.socket.remoteAddress`); with
   * `X-Forwarded-For` and the trusted proxies it names the client, for rate limits, canary
   * stickiness and the client's region.
   */
  remoteAddress?: string;
}

export interface RouterResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

// RFC 9110 §7.6.1: connection-specific fields are not forwarded; content-length is
// recomputed from the body actually sent. `expect` too: the router met a `100-continue`
// itself (server.ts) and sends the upstream a body it already holds (undici refuses the
// header outright, which made it a 502 of the router's own).
const HOP_BY_HOP = new Set([
  'expect',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** A request's headers as sent upstream: hop-by-hop ones and unset ones left out. */
export function forwardHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const v = headers[key];
    if (v !== undefined && !HOP_BY_HOP.has(key)) out[key] = v;
  }
  return out;
}

/** An upstream answer's headers as passed to the client: hop-by-hop ones left out. */
export function responseHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) if (!HOP_BY_HOP.has(key)) out[key] = headers[key]!;
  return out;
}

const encoder = new TextEncoder();

/** The router's own answer: `body` as JSON, from provider `none`. */
export function json(status: number, body: unknown): RouterResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', [PROVIDER_HEADER]: 'none' },
    body: encoder.encode(JSON.stringify(body)),
  };
}
