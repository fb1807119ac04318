/**
 * What the HTTP kinds' actions share (http/*.ts `act`): the context the provider stage gives
 * them, a pause that ends with the fault, the real response to alter, the header that names
 * the fault, and the mark for a body that must go out as it comes.
 *
 * Web-platform only (`Request`, `Response`, `ReadableStream`), so the actions run wherever
 * a `fetch`-style handler does; the MSW wrapper that scopes a fault (route, match, the draw
 * against rate) is src/providers/http-faults.ts, and src/providers/server.ts carries out the
 * raw behaviour on the socket (`isStreamed`, `Response.error()`).
 */
import type { Clock } from '../../core/clock.ts';
import { sample, type Distribution } from '../../core/distributions.ts';
import type { Rng } from '../../core/rng.ts';

/** The header every response a fault made or altered carries, naming the fault. */
export const FAULT_HEADER = 'x-faultline-fault';

/** What a fault's action may use besides the request. */
export interface FaultContext {
  rng: Rng;
  clock: Clock;
  /** Aborts when the fault switches off or the provider closes: releases hung requests and cuts delays short. */
  signal: AbortSignal;
  /** The response the rest of the chain (capacity, then the fixture) gives this request; undefined when no handler answers. */
  next(request: Request): Promise<Response | undefined>;
}

/** Sleeps a draw from `delay`; returns early (never throws) when the fault ends. */
export async function pause(ctx: FaultContext, delay: Distribution): Promise<void> {
  await ctx.clock.sleep(sample(delay, ctx.rng), ctx.signal).catch(() => {});
}

export type Real = { res: Response; body: Uint8Array<ArrayBuffer>; headers: Headers };

/**
 * The real response's parts, its body read whole. Undefined when nothing in the chain
 * answers (the request falls through to a 404); a network error (the provider closing) is
 * passed on as it is.
 */
export async function real(request: Request, ctx: FaultContext): Promise<Real | Response | undefined> {
  const res = await ctx.next(request.clone());
  if (!res || res.type === 'error') return res;
  const body = new Uint8Array(await res.arrayBuffer());
  const headers = new Headers(res.headers);
  return { res, body, headers };
}

/** What a fault that alters the real response returns when there is none to alter. */
export const passOn = (got: Real | Response | undefined): got is Response | undefined => got === undefined || got instanceof Response;

// ---------------------------------------------------------------------------------------
// Raw behaviour the fixture server carries out on the socket.

const STREAMED = new WeakSet<Response>();

/**
 * The real response with a body that stops after `sent` (possibly none) and then errors, so
 * the server drops the connection: the client has the head, with the full Content-Length, and
 * waits for bytes that never come. What truncate and reset do.
 */
export function cutShort(got: Real, sent: Uint8Array, faultName: string, why: string): Response {
  const { res, body, headers } = got;
  headers.set('content-length', String(body.length)); // the client expects all of it
  headers.set(FAULT_HEADER, faultName);
  const stream = new ReadableStream<Uint8Array>(
    {
      // What is sent goes out first; the next pull errors, and the server drops the
      // connection. The error waits one turn of the event loop: MSW's in-process interceptor
      // sends the head with the first chunk, and would otherwise drop the response before it.
      start: (c) => c.enqueue(sent),
      pull: async (c) => {
        await new Promise((resolve) => setImmediate(resolve));
        c.error(new Error(why));
      },
    },
    { highWaterMark: 1 },
  );
  return streamed(new Response(stream, { status: res.status, statusText: res.statusText, headers }));
}

/**
 * Marks a response whose body must go out as it comes: the server writes the head at once
 * and then each chunk, and drops the connection if the body stream errors (a truncated
 * body). Other responses are buffered and sent in one write.
 *
 * The other raw behaviour needs no mark: `Response.error()` (a hang released) makes the
 * server drop the connection without an answer.
 */
export function streamed(res: Response): Response {
  STREAMED.add(res);
  return res;
}

export function isStreamed(res: Response): boolean {
  return STREAMED.has(res);
}
