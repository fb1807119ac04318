/**
 * A proxy: a listener, the connections it accepted, and its toxics (Toxiproxy's `proxy.go`).
 * Each accepted client gets a connection to the upstream and two links, one per direction.
 */
import { readFileSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import { formatHostPort, parseHostPort } from './address.ts';
import { ApiError, ErrBadRequestBody, ErrListenInUse } from './api-error.ts';
import { Link } from './link.ts';
import type { ProxyInput } from './schema.ts';
import { ToxicCollection, toxicJson, type ToxicJson } from './toxic-collection.ts';

/** Where the server reports what happens; `console` fits. */
export interface ToxiproxyLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: ToxiproxyLogger = { info() {}, warn() {}, error() {} };

export interface ProxyDeps {
  clock: Clock;
  rng: Rng;
  logger: ToxiproxyLogger;
  /** Open client connections a proxy holds at most; DEFAULT_MAX_CONNECTIONS when absent. */
  maxConnections?: number;
}

/**
 * The default cap on a proxy's open connections: 4,096 (above the load driver's own in-flight
 * bound, 2,000), or an eighth of the process's file-descriptor limit where that is lower. Each
 * connection takes two descriptors (client and upstream); the cap bounds what a loop the API
 * cannot see (an upstream hostname that resolves to the proxy itself, a forwarder outside
 * faultline) takes before its connections are refused, which unwinds the whole chain, and
 * leaves descriptors for the API and the other proxies.
 */
export const DEFAULT_MAX_CONNECTIONS = defaultMaxConnections();

/** How long `listen` may take, hostname lookup included. */
const LISTEN_TIMEOUT_MS = 5000;

function defaultMaxConnections(): number {
  let limit = Infinity;
  try {
    // Linux only; elsewhere the fixed default stands. Node raises the soft limit to the hard one at start-up.
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) limit = Number(m[1]);
  } catch {
    // no /proc
  }
  return Math.max(64, Math.min(4096, Math.floor(limit / 8)));
}

/** A proxy as the API shows it. Field order follows Toxiproxy's JSON. */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

export class Proxy {
  readonly name: string;
  /** As given until the proxy listens; then the address it really listens on (port 0 resolved). */
  listen: string;
  upstream: string;
  enabled = false;
  readonly toxics = new ToxicCollection();
  #deps: ProxyDeps;
  #server: net.Server | null = null;
  #connections = new Set<Connection>();
  /** Connections refused at the cap since the last warning, and when that was. */
  #refused = 0;
  #warnedAt = -Infinity;

  constructor(input: Pick<ProxyInput, 'name' | 'listen' | 'upstream'>, deps: ProxyDeps) {
    this.name = input.name;
    this.listen = input.listen;
    this.upstream = input.upstream;
    this.#deps = deps;
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.toxics.list().map(toxicJson),
    };
  }

  /** Listens on `listen`. Throws an ApiError when the address cannot be had. */
  async start(): Promise<void> {
    if (this.enabled) return;
    const hp = parseHostPort(this.listen);
    if (!hp) throw ErrBadRequestBody.with(`"listen" must be host:port, got ${JSON.stringify(this.listen)}`);
    // Go's net.Listen puts "localhost" on 127.0.0.1; Node might pick ::1. Keep Toxiproxy's answer.
    const host = hp.host === 'localhost' ? '127.0.0.1' : hp.host;
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    server.on('connection', (socket) => this.#accept(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        // A hostname is looked up first; the API answers one request at a time, so a lookup
        // that never returns must not hold every later request with it.
        let late = false;
        const timer = setTimeout(() => {
          late = true;
          reject(Object.assign(new Error(`no address for ${hp.host} within ${LISTEN_TIMEOUT_MS} ms`), { code: 'EAI_AGAIN' }));
        }, LISTEN_TIMEOUT_MS);
        server.once('error', (e) => (clearTimeout(timer), reject(e)));
        server.listen({ host: host || undefined, port: hp.port }, () => {
          clearTimeout(timer);
          // Given up on already: let the port go again.
          if (late) server.close();
          else {
            server.removeAllListeners('error');
            resolve();
          }
        });
      });
    } catch (e) {
      server.close();
      throw listenError(this.listen, e as NodeJS.ErrnoException);
    }
    server.on('error', (e) => this.#deps.logger.error('proxy listener error', { proxy: this.name, error: e.message }));
    const addr = server.address() as AddressInfo;
    this.listen = formatHostPort(addr.address, addr.port);
    this.#server = server;
    this.enabled = true;
    this.#deps.logger.info('started proxy', { name: this.name, listen: this.listen, upstream: this.upstream });
  }

  /** Stops listening and drops every connection; resolves once the port is free again. */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.#server!;
    this.#server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of [...this.#connections]) c.teardown('destroy');
    await closed;
    this.#deps.logger.info('terminated proxy', { name: this.name, listen: this.listen });
  }

  #accept(client: Socket): void {
    const upstream = parseHostPort(this.upstream);
    if (!upstream) {
      client.destroy();
      return;
    }
    const max = this.#deps.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (this.#connections.size >= max) {
      client.destroy();
      this.#refused++;
      const now = this.#deps.clock.now();
      if (now - this.#warnedAt >= 1000) {
        this.#deps.logger.warn('connection refused: proxy at its connection cap (an upstream that leads back to the proxy?)', {
          proxy: this.name,
          max,
          refused: this.#refused,
        });
        this.#warnedAt = now;
        this.#refused = 0;
      }
      return;
    }
    const conn = new Connection(client, upstream.host, upstream.port, this.toxics, this.#deps, () => {
      this.#connections.delete(conn);
    });
    this.#connections.add(conn);
  }
}

function listenError(listen: string, e: NodeJS.ErrnoException): ApiError {
  if (e.code === 'EADDRINUSE') return ErrListenInUse.with(listen);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    return ErrBadRequestBody.with(`cannot listen on ${listen}: ${e.message}`);
  }
  return new ApiError(`cannot listen on ${listen}: ${e.message}`, 500);
}

/**
 * One client and its upstream. Each direction closes on its own (half-close is kept, unlike
 * Toxiproxy, which closes both ways at the first FIN); when a socket goes, the link writing
 * into it dies and the link reading from it delivers what it holds, then closes the other side.
 */
class Connection {
  #client: Socket;
  #upstream: Socket;
  #toxics: ToxicCollection;
  #deps: ProxyDeps;
  #onGone: () => void;
  #links: { up: Link; down: Link } | null = null;
  #tornDown = false;
  #open = 2;

  constructor(client: Socket, host: string, port: number, toxics: ToxicCollection, deps: ProxyDeps, onGone: () => void) {
    this.#client = client;
    this.#toxics = toxics;
    this.#deps = deps;
    this.#onGone = onGone;
    this.#upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    for (const s of [client, this.#upstream]) {
      s.on('error', (e: NodeJS.ErrnoException) => {
        // Errors end in 'close', handled there; a refused upstream is worth a line.
        if (s === this.#upstream && !this.#links) {
          deps.logger.warn('unable to open connection to upstream', { upstream: `${host}:${port}`, error: e.code ?? e.message });
        }
      });
      s.on('close', () => this.#closed(s));
    }
    this.#upstream.once('connect', () => this.#connected());
  }

  #connected(): void {
    if (this.#tornDown) return;
    const events = {
      close: () => this.teardown('close'),
      reset: () => this.teardown('reset'),
      ended: (link: Link) => this.#ended(link),
    };
    const common = { clock: this.#deps.clock, rng: this.#deps.rng, events };
    const up = new Link({ direction: 'upstream', source: this.#client, dest: this.#upstream, toxics: this.#toxics.chain('upstream'), ...common });
    const down = new Link({ direction: 'downstream', source: this.#upstream, dest: this.#client, toxics: this.#toxics.chain('downstream'), ...common });
    this.#links = { up, down };
    this.#toxics.attach(up);
    this.#toxics.attach(down);
    up.start();
    down.start();
  }

  /** The end of one direction reached its destination: half-close it, or close it if the other direction is dead. */
  #ended(link: Link): void {
    const other = link === this.#links?.up ? this.#links.down : this.#links?.up;
    if (!other || other.dead) link.dest.destroySoon();
    else link.dest.end();
  }

  #closed(socket: Socket): void {
    this.#open--;
    if (this.#open === 0) {
      this.#detach();
      this.#onGone();
      return;
    }
    // Already being closed: the other socket is flushing (destroySoon) or going; let it finish.
    if (this.#tornDown) return;
    const links = this.#links;
    if (!links) {
      // Not connected yet (client left, or the upstream refused): nothing to drain.
      this.teardown('destroy');
      return;
    }
    const into = links.up.dest === socket ? links.up : links.down;
    const from = into === links.up ? links.down : links.up;
    into.kill();
    if (from.endDelivered) from.dest.destroySoon();
    else from.sourceGone();
  }

  /** Ends the connection: `close` flushes and sends FIN, `reset` sends RST, `destroy` drops at once. */
  teardown(how: 'close' | 'reset' | 'destroy'): void {
    // A graceful close may still be flushing to a peer that does not read: `destroy` ends it anyway.
    if (this.#tornDown && how !== 'destroy') return;
    this.#tornDown = true;
    this.#detach();
    for (const s of [this.#client, this.#upstream]) {
      if (s.destroyed) continue;
      if (how === 'close') s.destroySoon();
      else if (how === 'destroy' || s.connecting) s.destroy();
      else {
        try {
          s.resetAndDestroy();
        } catch {
          s.destroy();
        }
      }
    }
  }

  #detach(): void {
    if (!this.#links) return;
    for (const link of [this.#links.up, this.#links.down]) {
      link.kill();
      this.#toxics.detach(link);
    }
  }
}
