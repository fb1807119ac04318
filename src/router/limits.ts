/**
 * What a client may hold of the live router (server.ts enforces it): a request body up to
 * `maxRequestBody` (the router's, or its route's), a connection up to the `server`
 * timeouts. Their defaults, their part of the router file, and their compile steps.
 *
 * @example
 *   const server = compileServerTimeouts(raw.server, issue);        // ms, defaults filled
 *   const body = compileBodyLimit('512KiB', ['maxRequestBody'], issue); // 524288
 */
import Type from 'typebox';
import { parseDuration } from '../core/units.ts';
import { duration, formatMs, parseSize, type ConfigPath, type Issue } from './schema-kit.ts';

/** How long a client connection may hold a socket, ms (node:http's server timeouts). */
export interface ServerTimeouts {
  /** Receiving a request's headers (server.headersTimeout). */
  headersTimeout: number;
  /** Receiving a whole request (server.requestTimeout); at least headersTimeout. */
  requestTimeout: number;
  /** An idle keep-alive connection between requests (server.keepAliveTimeout). */
  keepAliveTimeout: number;
  /** No traffic either way, a request in flight included (server.timeout). */
  idleTimeout: number;
}

/** 1 MiB, nginx's client_max_body_size. */
export const DEFAULT_MAX_REQUEST_BODY = 1024 * 1024;
/** Bodies are buffered whole before they are forwarded: no limit above this. */
export const MAX_REQUEST_BODY_BOUND = 1024 ** 3;
export const DEFAULT_SERVER_TIMEOUTS: Readonly<ServerTimeouts> = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, idleTimeout: 120_000 };
/** Node's timers hold at most 2³¹−1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const ServerSchema = Type.Object(
  {
    headersTimeout: Type.Optional(duration("Longest a client may take to send a request's headers (slowloris); then 408 and the connection is closed. Node's server.headersTimeout. Default 10s.")),
    requestTimeout: Type.Optional(duration("Longest a client may take to send a whole request, body included; then 408. Node's server.requestTimeout. At least headersTimeout. Default 30s.")),
    keepAliveTimeout: Type.Optional(duration("Longest an idle keep-alive connection is kept open between requests. Node's server.keepAliveTimeout. Default 5s.")),
    idleTimeout: Type.Optional(duration("A connection with no traffic either way for this long is closed, a request in flight included, so make it longer than any route's deadline. Node's server.timeout. Default 2m.")),
  },
  { additionalProperties: false, description: "The router's HTTP server: how long slow and idle client connections may hold a socket." },
);
export type ServerFile = Type.Static<typeof ServerSchema>;

/** A `maxRequestBody` as written → bytes; undefined (and an issue) above the bound. */
export function compileBodyLimit(value: string | number, at: ConfigPath, issue: Issue): number | undefined {
  const n = parseSize(value);
  if (!Number.isFinite(n) || n > MAX_REQUEST_BODY_BOUND) {
    issue(at, `maxRequestBody must be at most 1GiB (${MAX_REQUEST_BODY_BOUND} bytes): bodies are buffered whole`);
    return undefined;
  }
  return n;
}

/** The `server` section as written → ms, defaults filled; each out-of-range timeout reported and left at its default. */
export function compileServerTimeouts(raw: ServerFile | undefined, issue: Issue): ServerTimeouts {
  const server: ServerTimeouts = { ...DEFAULT_SERVER_TIMEOUTS };
  for (const k of ['headersTimeout', 'requestTimeout', 'keepAliveTimeout', 'idleTimeout'] as const) {
    const v = raw?.[k];
    if (v === undefined) continue;
    const ms = Math.ceil(parseDuration(v));
    if (!(ms > 0) || ms > MAX_TIMER_MS) issue(['server', k], `${k} must be more than 0 and at most ${MAX_TIMER_MS} ms (about 24.8 days), Node's longest timer`);
    else server[k] = ms;
  }
  if (server.headersTimeout > server.requestTimeout) {
    issue(['server', raw?.headersTimeout !== undefined ? 'headersTimeout' : 'requestTimeout'], `headersTimeout (${formatMs(server.headersTimeout)}) must not exceed requestTimeout (${formatMs(server.requestTimeout)}): the headers are part of the request`);
  }
  return server;
}
