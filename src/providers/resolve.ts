/**
 * A provider's handler chain resolved in-process, as MSW resolves it (`executeHandlers`: in
 * order, first response wins, a handler that matches and returns nothing falls through),
 * without MSW's per-request bookkeeping where it cannot change the answer. The fixture server
 * (server.ts), the simulator's providers (src/sim/provider.ts) and a fault's "the rest of
 * the chain" (`nextIn`, http-faults.ts) all resolve through it, so they answer alike.
 *
 * Why: `RequestHandler.run` (msw/lib/_chunks/request-handler.js) does, for every handler and
 * every request, a clone of the request for its execution result, the URL match (a `new URL`,
 * the pattern normalised and matched), the method test, and an `AbortController` it aborts
 * after the resolver (each abort builds a `DOMException`). In the simulator that was most of
 * a provider's cost per request. Here, for a plain `HttpHandler` (`http.get(...)`,
 * `http.all(...)`: ours and most users'):
 * - the match is MSW's own (`parse`, `predicate`), computed once per method, base URL and
 *   URL without query, and kept (it depends on nothing else; a bounded cache per handler);
 * - the resolver is run through MSW's own wrapper (generators, `finalize` cleanups, a thrown
 *   `Response` as the answer), with the same arguments (`request`, `requestId`, `params` — a
 *   copy per request — `cookies`, `finalize`); `finalize`'s abort listener is set up only if
 *   the resolver asks for it, as MSW does, and the controller that removes it made only then;
 * - no clone for the execution result (nothing here reads it).
 * Anything else goes through `handler.run` unchanged: a `once` handler, a custom predicate
 * function, another handler class (GraphQL, SSE, WebSocket, a subclass), a handler from
 * another copy of msw, a request with cookies (MSW parses them per request), or an msw whose
 * internals are not the ones this was written against (checked once, below).
 *
 * A request with a body is cloned for each handler that runs but the last in the list, so
 * a handler that reads the body and falls through leaves it whole for the next (as a clone
 * per handler does); a bodiless request is shared.
 */
import { HttpHandler, type RequestHandler } from 'msw';

export interface ResolveOptions {
  /** MSW's resolution context: relative handler paths are matched against it. */
  baseUrl?: string;
  /** Handed to the resolvers (MSW keys `finalize` cleanups by it). */
  requestId: string;
}

/** What MSW's `HttpHandler` has inside that is used here: its parse and predicate, its resolver wrapper, its cleanups. */
interface HandlerInternals {
  options?: { once?: boolean };
  resolver: unknown;
  isUsed: boolean;
  info: { path: unknown };
  parse(args: { request: Request; resolutionContext?: { baseUrl?: string } }): Promise<{ match: { matches: boolean; params: Record<string, unknown> }; cookies: Record<string, string> }>;
  predicate(args: { request: Request; parsedResult: unknown; resolutionContext?: { baseUrl?: string } }): boolean | Promise<boolean>;
  wrapResolver(resolver: unknown): (info: Record<string, unknown>) => Promise<Response | undefined | null>;
  scheduleCleanup(requestId: string, callback: () => unknown): void;
  runScheduledCleanups(requestId: string): Promise<void>;
}

const proto = HttpHandler.prototype as unknown as Record<string, unknown>;
/** The internals this was written against (msw 3.0): absent in another version, every handler takes `run`. */
const LEAN = ['parse', 'predicate', 'wrapResolver', 'scheduleCleanup', 'runScheduledCleanups'].every((m) => typeof proto[m] === 'function');

/** A handler's match, by `METHOD baseUrl url-without-query`: the params when it matches, null when not. */
const matches = new WeakMap<object, Map<string, Record<string, unknown> | null>>();
/** Distinct keys kept per handler; past it the cache starts again (a fixture that serves many ids). */
const MATCH_CACHE_SIZE = 2048;
/** Per handler: MSW's resolver wrapper, made once (it holds no per-request state). */
const wrapped = new WeakMap<object, (info: Record<string, unknown>) => Promise<Response | undefined | null>>();

/** Whether `resolveChain` takes its short way with `h` (exported for the tests that hold it to MSW's answers). */
export function isLean(h: RequestHandler): boolean {
  if (!LEAN || h.constructor !== HttpHandler) return false;
  const i = h as unknown as HandlerInternals;
  return !i.options?.once && typeof i.info.path !== 'function';
}

/** `new URL(url).origin`, without parsing the URL where its form makes that plain (`http://host:port/...`, no user info). */
export function originOf(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme > 0) {
    const slash = url.indexOf('/', scheme + 3);
    const authority = url.slice(scheme + 3, slash < 0 ? url.length : slash);
    if (!authority.includes('@') && /^https?$/.test(url.slice(0, scheme))) return url.slice(0, scheme + 3) + authority;
  }
  return new URL(url).origin;
}

/** The URL without its query and fragment: the part of it MSW's match reads (with the method and the base URL). */
function cleanUrl(url: string): string {
  let end = url.length;
  const q = url.indexOf('?');
  if (q >= 0) end = q;
  const h = url.indexOf('#');
  if (h >= 0 && h < end) end = h;
  return end === url.length ? url : url.slice(0, end);
}

async function matchOf(h: HandlerInternals, request: Request, baseUrl: string | undefined): Promise<Record<string, unknown> | null> {
  const key = `${request.method} ${baseUrl ?? ''} ${cleanUrl(request.url)}`;
  let cache = matches.get(h);
  if (!cache) matches.set(h, (cache = new Map()));
  const got = cache.get(key);
  if (got !== undefined) return got;
  const resolutionContext = { baseUrl, quiet: true };
  const parsedResult = await h.parse({ request, resolutionContext });
  const ok = await h.predicate({ request, parsedResult, resolutionContext });
  const out = ok ? (parsedResult.match?.params ?? {}) : null;
  if (cache.size >= MATCH_CACHE_SIZE) cache.clear();
  cache.set(key, out);
  return out;
}

/**
 * What a resolver is called with, as MSW's `run` makes it: `request`, `requestId`, `params`,
 * `cookies`, and `finalize`, whose abort listener (and the controller that removes it) is set
 * up only if the resolver asks for it. One difference: `finalize` is a getter of the class,
 * not an own property of the object (an object literal with a getter costs a microsecond to
 * make); a resolver that spreads its argument does not copy it.
 */
class ResolverInfo {
  readonly cookies: Record<string, string> = {};
  #finalize: ((callback: () => unknown) => void) | undefined;
  #listeners: AbortController | undefined;
  readonly #h: HandlerInternals;
  readonly request: Request;
  readonly requestId: string;
  readonly params: Record<string, unknown>;

  constructor(h: HandlerInternals, request: Request, requestId: string, params: Record<string, unknown>) {
    this.#h = h;
    this.request = request;
    this.requestId = requestId;
    this.params = params;
  }

  get finalize(): (callback: () => unknown) => void {
    if (!this.#finalize) {
      const { request, requestId } = this;
      const h = this.#h;
      this.#listeners = new AbortController();
      if (!request.signal.aborted) request.signal.addEventListener('abort', () => void h.runScheduledCleanups(requestId), { once: true, signal: this.#listeners.signal });
      this.#finalize = (callback) => {
        h.scheduleCleanup(requestId, callback);
        if (request.signal.aborted) void h.runScheduledCleanups(requestId);
      };
    }
    return this.#finalize;
  }

  /** The resolver is done: its abort listener goes, as MSW's `run` removes it. */
  done(): void {
    this.#listeners?.abort();
  }
}

/** The rest of `handler.run` for a plain HttpHandler that matched: its resolver as MSW runs it, with the match's params. */
async function runLean(h: HandlerInternals, request: Request, params: Record<string, unknown>, opts: ResolveOptions): Promise<Response | undefined> {
  h.isUsed = true;
  let resolve = wrapped.get(h);
  if (!resolve) wrapped.set(h, (resolve = h.wrapResolver(h.resolver)));
  const info = new ResolverInfo(h, request, opts.requestId, { ...params });
  let response: Response | undefined | null;
  try {
    response = await resolve(info as unknown as Record<string, unknown>);
  } catch (err) {
    if (!(err instanceof Response)) throw err;
    response = err;
  } finally {
    info.done();
  }
  return response ?? undefined;
}

/**
 * The first response the handlers give `request`, in order, as MSW's `getResponse` finds it;
 * undefined when none answers.
 */
export async function resolveChain(handlers: readonly RequestHandler[], request: Request, opts: ResolveOptions): Promise<Response | undefined> {
  const hasBody = request.body !== null;
  const cookies = request.headers.has('cookie');
  const last = handlers.length - 1;
  for (let i = 0; i <= last; i++) {
    const h = handlers[i]!;
    const fresh = () => (hasBody && i < last ? request.clone() : request);
    if (!cookies && isLean(h)) {
      // The match reads the method and URL only: the body is cloned for a handler that runs.
      const params = await matchOf(h as unknown as HandlerInternals, request, opts.baseUrl);
      if (params === null) continue;
      const response = await runLean(h as unknown as HandlerInternals, fresh(), params, opts);
      if (response) return response;
      continue;
    }
    const result = await h.run({ request: fresh(), requestId: opts.requestId, resolutionContext: { baseUrl: opts.baseUrl, quiet: true } });
    if (result?.response) return result.response;
  }
  return undefined;
}
