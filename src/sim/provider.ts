/**
 * A modelled provider: the live provider stage itself (`providerChain`, src/providers/
 * provider.ts — the active HTTP faults, the capacity queue with its brown-outs, the bundled
 * fixture's handlers) on the virtual clock, answering in-process instead of over a socket.
 * It counts what it receives as the fixture server does (src/providers/server.ts): arrival
 * time, the handler's endpoint label, the status sent, 0 when the answer was cut off (a hang
 * released, a truncated body, the client gone first).
 *
 * What a socket adds is modelled here: the server's own time per request (`overheadMs`, a
 * loopback fixture answers in a fraction of a millisecond, see ./network.ts for the figure)
 * and the client leaving (`gone`), which the live server sees as the connection closing.
 */
import type { Clock } from '../core/clock.ts';
import { sample, type Distribution } from '../core/distributions.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import type { Capacity } from '../model/capacity.ts';
import type { HttpStageFault } from '../model/faults/index.ts';
import { providerChain, type ProviderChain } from '../providers/provider.ts';
import { resolveChain } from '../providers/resolve.ts';

/** One request the provider received (as server.ts's `ReceivedRequest`), in virtual epoch ms. */
export interface SimReceived {
  at: number;
  endpoint: string;
  status: number;
  ms: number;
  path: string;
}

/** What the provider sends back: a whole answer, or nothing (the connection dropped). */
export type SimAnswer = { status: number; headers: Record<string, string | string[]>; body: Uint8Array } | { dropped: true };

export interface SimProviderOptions {
  key: string;
  provider: string;
  region?: string;
  fixture: string;
  capacity?: Capacity;
  clock: Clock;
  /** The provider stage's draws (fault rates, service times, the fixture's own), as the live provider host seeds them. */
  rng: Rng;
  /** The server's own time per request (parsing, the handler, writing), drawn per request. */
  overhead: Distribution;
  /** Draws of `overhead`: a stream of its own, so the stage's draws fall as live (default: a fork of the stage's). */
  overheadRng?: Rng;
}

export class SimProvider {
  readonly key: string;
  readonly provider: string;
  readonly region: string | undefined;
  readonly origin: string;
  readonly received: SimReceived[] = [];
  readonly #chain: ProviderChain;
  readonly #clock: Clock;
  readonly #overheadRng: Rng;
  readonly #overhead: Distribution;
  readonly #labels = new Map<string, string>();
  #seq = 0;

  constructor(opts: SimProviderOptions, index: number) {
    this.key = opts.key;
    this.provider = opts.provider;
    this.region = opts.region;
    this.origin = `http://provider-${index}.sim.invalid`;
    this.#clock = opts.clock;
    this.#overheadRng = opts.overheadRng ?? seededRng(Math.floor(opts.rng.next() * 0x1_0000_0000));
    this.#overhead = opts.overhead;
    this.#chain = providerChain({ provider: opts.provider, region: opts.region, fixture: opts.fixture, rng: opts.rng, clock: opts.clock, ...(opts.capacity && { capacity: opts.capacity }) });
  }

  setFaults(faults: HttpStageFault[]): void {
    this.#chain.setFaults(faults);
  }

  close(): void {
    this.#chain.close();
  }

  /**
   * Serves one request that has arrived now. `gone` aborts when the client closes the
   * connection: the request counts as cut off (status 0) from then, as live, though the work
   * it holds (a place in the capacity queue) goes on.
   */
  async serve(method: string, path: string, headers: Record<string, string | string[]>, body: Uint8Array | undefined, gone: AbortSignal): Promise<SimAnswer> {
    const at = this.#clock.now();
    const endpoint = this.#labels.get(`${method} ${path}`) ?? (await this.#label(method, path));
    let recorded = false;
    const record = (status: number) => {
      if (recorded) return;
      recorded = true;
      this.received.push({ at, endpoint, status, ms: this.#clock.now() - at, path: `${method} ${pathnameOf(path, this.origin)}` });
    };
    const onGone = () => record(0);
    if (gone.aborted) onGone();
    else gone.addEventListener('abort', onGone, { once: true });
    try {
      await this.#clock.sleep(Math.max(0, sample(this.#overhead, this.#overheadRng)));
      const hasBody = body !== undefined && body.byteLength > 0 && method !== 'GET' && method !== 'HEAD';
      // `path` is the request target as the router sends it (absolute path and query): the URL is the origin's, as a server's is.
      const request = new ConnectionRequest(path.startsWith('/') && !path.startsWith('//') ? this.origin + path : new URL(path, this.origin), { method, headers: requestHeaders(headers), body: hasBody ? (body as Uint8Array<ArrayBuffer>) : null }, gone);
      const response = await resolveChain(this.#chain.handlers(), request, { baseUrl: this.origin, requestId: String(++this.#seq) });
      if (!response) {
        const text = JSON.stringify({ error: `provider ${this.provider} has no handler for ${method} ${path}` });
        record(404);
        return { status: 404, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode(text) };
      }
      if (response.type === 'error') {
        record(0);
        return { dropped: true };
      }
      // A streamed body (truncate, slow_body) is read as it comes, on the virtual clock; one
      // that errors part-way is a dropped connection, as the fixture server destroys it.
      let payload: Uint8Array;
      try {
        payload = new Uint8Array(await response.arrayBuffer());
      } catch {
        record(0);
        return { dropped: true };
      }
      const out: Record<string, string | string[]> = {};
      response.headers.forEach((v, k) => (out[k] = v));
      out['x-fixture-provider'] = this.provider;
      if (this.region) out['x-fixture-region'] = this.region;
      out['content-length'] = String(payload.byteLength);
      record(gone.aborted ? 0 : response.status);
      return { status: response.status, headers: out, body: payload };
    } finally {
      gone.removeEventListener('abort', onGone);
    }
  }

  /**
   * The fixture handler's label for a request (`GET /weather/:city`), as server.ts names it;
   * kept per method and request target (the match reads the path only, so a query adds keys,
   * never a different answer), at most LABEL_CACHE_SIZE of them.
   */
  async #label(method: string, path: string): Promise<string> {
    const url = new URL(path, this.origin);
    const request = new Request(url, { method });
    const resolutionContext = { baseUrl: this.origin, quiet: true };
    let label = `${method} ${url.pathname}`;
    for (const h of this.#chain.own) {
      if (h.info.path === '*') continue;
      if (await h.test({ request, resolutionContext })) {
        label = h.info.header;
        break;
      }
    }
    if (this.#labels.size >= LABEL_CACHE_SIZE) this.#labels.clear();
    this.#labels.set(`${method} ${path}`, label);
    return label;
  }
}

const LABEL_CACHE_SIZE = 4096;

/**
 * A request whose `signal` is the connection's own (`gone`: it aborts when the client closes
 * the connection), as the fixture server's requests follow theirs. The same to a handler as
 * `new Request(url, { ...init, signal: gone })` (it aborts when the connection closes, with
 * its reason, its listeners called in the order added), without what following a signal
 * costs undici per request (its own controller, a weak reference, a finalization
 * registration: two thirds of building the request). A clone's `signal` is the same one, as
 * a clone's signal follows its original's.
 */
class ConnectionRequest extends Request {
  readonly #gone: AbortSignal;

  constructor(input: string | URL, init: { method: string; headers: HeadersInit; body: Uint8Array<ArrayBuffer> | null }, gone: AbortSignal) {
    // A bodiless GET without headers is what `new Request(url)` makes: without the init, undici skips converting its
    // dictionary (a third of the constructor).
    if (init.method === 'GET' && init.body === null && isEmptyRecord(init.headers)) super(input);
    else super(input, init);
    this.#gone = gone;
  }

  override get signal(): AbortSignal {
    return this.#gone;
  }

  override clone(): Request {
    const c = super.clone();
    Object.defineProperty(c, 'signal', { value: this.#gone, enumerable: false });
    // A clone of the clone keeps it too: its clone() reads this signal and the copy gets it again.
    Object.defineProperty(c, 'clone', { value: cloneWith(this.#gone), enumerable: false });
    return c;
  }
}

function isEmptyRecord(h: HeadersInit): boolean {
  if (h instanceof Headers || Array.isArray(h)) return false;
  for (const _ in h) return false;
  return true;
}

function cloneWith(gone: AbortSignal) {
  return function (this: Request): Request {
    const c = Request.prototype.clone.call(this);
    Object.defineProperty(c, 'signal', { value: gone, enumerable: false });
    Object.defineProperty(c, 'clone', { value: cloneWith(gone), enumerable: false });
    return c;
  };
}

/** The router's header record as the request's headers: as given, or appended one by one where a name has several values. */
function requestHeaders(headers: Record<string, string | string[]>): HeadersInit {
  let multi = false;
  for (const k in headers) if (Array.isArray(headers[k])) multi = true;
  if (!multi) return headers as Record<string, string>;
  const h = new Headers();
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  return h;
}

/** The path of a request target without its query (`/api/orders?x=1` → `/api/orders`), without building a URL for the usual absolute path. */
function pathnameOf(target: string, origin: string): string {
  if (!target.startsWith('/') || target.startsWith('//')) return new URL(target, origin).pathname;
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}
