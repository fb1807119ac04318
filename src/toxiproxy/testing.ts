/**
 * Loopback fixtures for the toxiproxy tests: tiny TCP servers and a client that records what
 * it saw and when. Every server and socket made here is closed by `closeAll()`.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

const open = new Set<{ close(): void }>();

/** Closes every server and socket these helpers opened. Call from afterEach. */
export async function closeAll(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(
    all.map((x) => (x instanceof net.Server ? new Promise<void>((r) => x.close(() => r())) : (x.close(), undefined))),
  );
}

export interface TcpFixture {
  readonly port: number;
  readonly address: string;
  /** Sockets the server accepted, newest last. */
  readonly accepted: Socket[];
}

/** A TCP server on 127.0.0.1 whose connections are handled by `onSocket`. */
export async function tcpServer(onSocket: (s: Socket) => void): Promise<TcpFixture> {
  const accepted: Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.add({ close: () => { for (const s of accepted) s.destroy(); } });
  open.add(server);
  const port = (server.address() as AddressInfo).port;
  return { port, address: `127.0.0.1:${port}`, accepted };
}

/** Echoes every byte back. */
export const echoServer = () => tcpServer((s) => s.pipe(s));

/** Writes `bytes` (one write) to each client, then ends its side. */
export const blobServer = (bytes: Buffer) => tcpServer((s) => s.end(bytes));

/** A client socket recording data, its end and its close, with timestamps (performance.now). */
export class Client {
  readonly socket: Socket;
  readonly reads: Buffer[] = [];
  readonly opened = performance.now();
  endedAt: number | undefined;
  closedAt: number | undefined;
  error: NodeJS.ErrnoException | undefined;
  #waiters: Array<() => void> = [];

  constructor(address: string) {
    const i = address.lastIndexOf(':');
    this.socket = net.connect({ host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) });
    open.add({ close: () => this.socket.destroy() });
    this.socket.on('data', (b) => {
      this.reads.push(b);
      this.#wake();
    });
    this.socket.on('end', () => {
      this.endedAt = performance.now();
      this.#wake();
    });
    this.socket.on('error', (e) => {
      this.error = e;
      this.#wake();
    });
    this.socket.on('close', () => {
      this.closedAt = performance.now();
      this.#wake();
    });
  }

  get received(): Buffer {
    return Buffer.concat(this.reads);
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connecting) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  /** Resolves when `pred` holds, checked after every event; rejects after `ms` of real time. */
  until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      const waiter = () => {
        if (check()) this.#waiters = this.#waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.#waiters.push(waiter);
    });
  }

  /** Waits for at least `n` bytes in total; returns the time they were complete. */
  async bytes(n: number, ms = 3000): Promise<number> {
    await this.until(() => this.received.length >= n, ms, `${n} bytes (have ${this.received.length})`);
    return performance.now();
  }

  closed(ms = 3000): Promise<void> {
    return this.until(() => this.closedAt !== undefined, ms, 'close');
  }

  /** Sends `msg` and resolves with the round-trip time once `msg.length` more bytes came back. */
  async roundTrip(msg = 'ping', ms = 3000): Promise<number> {
    const have = this.received.length;
    const t0 = performance.now();
    this.socket.write(msg);
    await this.until(() => this.received.length >= have + msg.length, ms, 'echo');
    return performance.now() - t0;
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One API request: status, body text, and the body as JSON when it parses. */
export async function apiCall(base: string, method: string, path: string, body?: unknown, raw?: string) {
  const res = await fetch(base + path, {
    method,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    headers: { 'Content-Type': 'application/json' },
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json: json as Record<string, unknown> | undefined };
}

/** Whether a TCP connect succeeds: to `host:port` (IPv6 in brackets) or to a port on 127.0.0.1. */
export function canConnect(address: string | number): Promise<boolean> {
  const [host, port] = typeof address === 'number' ? ['127.0.0.1', address] : [address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, ''), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A deterministic byte pattern, so reordering or loss shows up as a mismatch. */
export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * The central interval holding at least `confidence` of Binomial(n, p): [lo, hi] with
 * P(X < lo) ≤ (1 − confidence)/2 and P(X > hi) ≤ (1 − confidence)/2, from the exact pmf.
 *
 * @example binomialInterval(200, 0.3, 0.999) // → [39, 82]
 */
export function binomialInterval(n: number, p: number, confidence: number): [number, number] {
  if (p <= 0) return [0, 0];
  if (p >= 1) return [n, n];
  const tail = (1 - confidence) / 2;
  const pmf: number[] = [];
  // log-space, so n in the thousands does not underflow (1 − p)^n.
  let logC = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logC += Math.log((n - k + 1) / k);
    pmf.push(Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p)));
  }
  let lo = 0;
  let below = 0;
  while (lo < n && below + pmf[lo]! <= tail) below += pmf[lo++]!;
  let hi = n;
  let above = 0;
  while (hi > 0 && above + pmf[hi]! <= tail) above += pmf[hi--]!;
  return [lo, hi];
}
