/**
 * Toxiproxy 2.x's HTTP API as plain request → response functions, apart from the HTTP
 * plumbing (server.ts). Paths, methods, status codes and JSON shapes follow Toxiproxy's
 * `api.go`; see schema.ts for where validation is stricter.
 */
import {
  ApiError,
  ErrBadRequestBody,
  ErrProxyAlreadyExists,
  ErrProxyLoop,
  ErrProxyNotFound,
  isApiError,
} from './api-error.ts';
import { findLoop, type ProxyAddresses } from './loops.ts';
import { Proxy, type ProxyDeps, type ProxyJson } from './proxy.ts';
import {
  parseJson,
  parsePopulate,
  parseProxyCreate,
  parseProxyUpdate,
  parseToxicCreate,
  quote,
  type Result,
} from './schema.ts';
import { toxicJson } from './toxic-collection.ts';

/** The Toxiproxy release whose API this server speaks. */
export const TOXIPROXY_API_VERSION = '2.12.0';

/**
 * What `/version` reports: the release with faultline as semver build metadata, which
 * orders equal to it (a client checking `>= 2.12.0` accepts it; a `-faultline` pre-release
 * tag would order below), and tells faultline's server from Shopify's.
 */
export const TOXIPROXY_SERVER_VERSION = `${TOXIPROXY_API_VERSION}+faultline`;

export interface ApiResponse {
  status: number;
  /** Serialised as JSON; absent for 204. */
  body?: unknown;
  /** A body sent verbatim instead of `body` (Toxiproxy's `/version` text). */
  raw?: string;
  headers?: Record<string, string>;
}

export class ToxiproxyApi {
  readonly proxies = new Map<string, Proxy>();
  #deps: ProxyDeps;
  /** Requests run one at a time, so two clients cannot interleave half-applied changes. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: ProxyDeps) {
    this.#deps = deps;
  }

  /** Answers one request. Never throws: every failure becomes an error response. */
  handle(method: string, path: string, bodyText: string): Promise<ApiResponse> {
    const run = this.#queue.then(() => this.#route(method, path, bodyText));
    this.#queue = run.catch(() => undefined);
    return run.catch((e: unknown) => errorResponse(e));
  }

  /** Stops every proxy and its connections. */
  async closeAll(): Promise<void> {
    await this.#queue;
    await Promise.all([...this.proxies.values()].map((p) => p.stop()));
    this.proxies.clear();
  }

  async #route(method: string, path: string, bodyText: string): Promise<ApiResponse> {
    const segments = splitPath(path);
    if (!segments) return errorResponse(ErrBadRequestBody.with(`malformed path ${JSON.stringify(path)}`));
    const body = () => parseJson(bodyText);
    const [a, name, c, toxic, ...rest] = segments;
    const allow = (methods: string[], fn: () => Promise<ApiResponse> | ApiResponse): Promise<ApiResponse> | ApiResponse => {
      if (methods.includes(method)) return fn();
      return {
        status: 405,
        body: new ApiError(`method not allowed: ${method} ${path} (allowed: ${methods.join(', ')})`, 405).toJSON(),
        headers: { Allow: methods.join(', ') },
      };
    };

    if (rest.length === 0) {
      if (segments.length === 1 && a === 'version') return allow(['GET'], () => this.#version());
      if (segments.length === 1 && a === 'reset') return allow(['POST'], () => this.#reset());
      if (segments.length === 1 && a === 'populate') return allow(['POST'], () => this.#populate(body()));
      if (a === 'proxies') {
        if (segments.length === 1) {
          return allow(['GET', 'POST'], () => (method === 'GET' ? this.#index() : this.#create(body())));
        }
        if (segments.length === 2) {
          return allow(['GET', 'POST', 'PATCH', 'DELETE'], () => {
            if (method === 'GET') return { status: 200, body: this.#proxy(name!).toJSON() };
            if (method === 'DELETE') return this.#delete(name!);
            return this.#update(name!, body());
          });
        }
        if (c === 'toxics' && segments.length === 3) {
          return allow(['GET', 'POST'], () => {
            if (method === 'GET') return { status: 200, body: this.#proxy(name!).toxics.list().map(toxicJson) };
            return this.#addToxic(name!, body());
          });
        }
        if (c === 'toxics' && segments.length === 4) {
          return allow(['GET', 'POST', 'PATCH', 'DELETE'], () => {
            const proxy = this.#proxy(name!);
            if (method === 'GET') return { status: 200, body: toxicJson(proxy.toxics.get(toxic!)) };
            if (method === 'DELETE') {
              proxy.toxics.remove(toxic!);
              return { status: 204 };
            }
            const b = body();
            if (!b.ok) throw b.error;
            const updated = proxy.toxics.update(toxic!, b.value);
            if (!updated.ok) throw updated.error;
            return { status: 200, body: toxicJson(updated.value) };
          });
        }
      }
    }
    return { status: 404, body: new ApiError(`page not found: ${method} ${path}`, 404).toJSON() };
  }

  #proxy(name: string): Proxy {
    const p = this.proxies.get(name);
    if (!p) throw ErrProxyNotFound;
    return p;
  }

  #version(): ApiResponse {
    return {
      status: 200,
      raw: `{"version": "${TOXIPROXY_SERVER_VERSION}"}\n`,
      headers: { 'Content-Type': 'application/json;charset=utf-8' },
    };
  }

  #index(): ApiResponse {
    // Prototype-free: a proxy named `__proto__` or `constructor` is a key like any other.
    const all = Object.create(null) as Record<string, ProxyJson>;
    for (const [name, p] of this.proxies) all[name] = p.toJSON();
    return { status: 200, body: all };
  }

  /** Starts `proxy`, and stops it again if the port it got (port 0 picks one) closes a loop: some proxy's upstream may name that port. */
  async #startWithoutLoop(proxy: Proxy): Promise<void> {
    await proxy.start();
    try {
      this.#refuseLoop([proxy]);
    } catch (e) {
      await proxy.stop();
      throw e;
    }
  }

  async #create(body: Result<unknown>): Promise<ApiResponse> {
    const input = unwrap(parseProxyCreate(unwrap(body)));
    if (this.proxies.has(input.name)) throw ErrProxyAlreadyExists;
    this.#refuseLoop([input]);
    const proxy = new Proxy(input, this.#deps);
    if (input.enabled) await this.#startWithoutLoop(proxy);
    this.proxies.set(input.name, proxy);
    return { status: 201, body: proxy.toJSON() };
  }

  /**
   * Creates or replaces each proxy in turn. A proxy whose listen and upstream are unchanged is
   * kept as it is (toxics and connections included), as in Toxiproxy. The whole array is
   * validated before anything changes; a listen failure part-way answers with the error and
   * the proxies applied so far.
   */
  async #populate(body: Result<unknown>): Promise<ApiResponse> {
    const done: Proxy[] = [];
    // As in Toxiproxy, an error body lists the proxies applied before it, `null` for none.
    const failed = (e: unknown): ApiResponse => {
      const err = isApiError(e) ? e : new ApiError(String(e), 500);
      return { status: err.status, body: { ...err.toJSON(), proxies: done.length ? done.map((p) => p.toJSON()) : null } };
    };
    const parsed = parsePopulate(body.ok ? body.value : undefined);
    if (!body.ok || !parsed.ok) return failed(body.ok ? (parsed as { error: ApiError }).error : body.error);
    const inputs = parsed.value;
    try {
      this.#refuseLoop(inputs);
    } catch (e) {
      return failed(e);
    }
    for (const input of inputs) {
      const existing = this.proxies.get(input.name);
      if (existing && existing.listen === input.listen && existing.upstream === input.upstream) {
        done.push(existing);
        continue;
      }
      await existing?.stop();
      const proxy = new Proxy(input, this.#deps);
      try {
        if (input.enabled) await this.#startWithoutLoop(proxy);
      } catch (e) {
        return failed(e);
      }
      this.proxies.set(input.name, proxy);
      done.push(proxy);
    }
    return { status: 201, body: { proxies: done.map((p) => p.toJSON()) } };
  }

  /**
   * Throws ErrProxyLoop when the proxies, with `changed` in place of those of the same names,
   * would form a cycle: a connection to one would come back to it and open another, without end.
   */
  #refuseLoop(changed: readonly ProxyAddresses[]): void {
    const byName = new Map<string, ProxyAddresses>();
    for (const p of this.proxies.values()) byName.set(p.name, p);
    for (const p of changed) byName.set(p.name, p);
    const loop = findLoop([...byName.values()]);
    if (!loop) return;
    const steps = loop.map((n) => quote(n)).join(' → ');
    throw ErrProxyLoop.with(
      `${steps}: each proxy's upstream is the next one's listen address, so every connection would open another until file descriptors run out`,
    );
  }

  /** Changing listen or upstream restarts the proxy (dropping connections), as documented by Toxiproxy. */
  async #update(name: string, body: Result<unknown>): Promise<ApiResponse> {
    const proxy = this.#proxy(name);
    const input = unwrap(
      parseProxyUpdate(unwrap(body), { name, listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled }),
    );
    const moved = input.listen !== proxy.listen || input.upstream !== proxy.upstream;
    if (moved) {
      this.#refuseLoop([input]);
      await proxy.stop();
      proxy.listen = input.listen;
      proxy.upstream = input.upstream;
    }
    if (input.enabled !== proxy.enabled) {
      if (input.enabled) await proxy.start();
      else await proxy.stop();
    }
    if (moved && proxy.enabled) {
      // Listening on port 0 can land on a port some proxy's upstream names: stay stopped then.
      try {
        this.#refuseLoop([proxy]);
      } catch (e) {
        await proxy.stop();
        throw e;
      }
    }
    return { status: 200, body: proxy.toJSON() };
  }

  async #delete(name: string): Promise<ApiResponse> {
    const proxy = this.#proxy(name);
    await proxy.stop();
    this.proxies.delete(name);
    return { status: 204 };
  }

  #addToxic(name: string, body: Result<unknown>): ApiResponse {
    const proxy = this.#proxy(name);
    const input = unwrap(parseToxicCreate(unwrap(body)));
    return { status: 200, body: toxicJson(proxy.toxics.add(input)) };
  }

  /** Enables every proxy and removes every toxic. */
  async #reset(): Promise<ApiResponse> {
    for (const proxy of this.proxies.values()) {
      await proxy.start();
      proxy.toxics.reset();
    }
    return { status: 204 };
  }
}

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw r.error;
  return r.value;
}

export function errorResponse(e: unknown): ApiResponse {
  const err = isApiError(e) ? e : new ApiError(`internal error: ${e instanceof Error ? e.message : String(e)}`, 500);
  return { status: err.status, body: err.toJSON() };
}

/** `/proxies/a%2Fb/toxics` → ['proxies', 'a/b', 'toxics']; undefined when a segment is badly escaped. */
function splitPath(path: string): string[] | undefined {
  const pathname = path.split('?')[0]!;
  try {
    return pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}
