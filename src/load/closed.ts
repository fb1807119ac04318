/**
 * The closed-model load driver: a fixed number of connections, each sending its next request
 * as soon as the last one is answered, as fast as the target allows. autocannon does this
 * well; what it does not give is one honest record per request, so this file listens to each
 * autocannon client's own events and keeps its own books.
 *
 * In a closed model a request is due when its connection is free to send it: due = sent.
 * That is the model's nature, not an oversight: a stalled target slows the arrivals down, and
 * the stall shows as fewer requests, not as a long tail (coordinated omission). Use the open
 * model (open.ts) when the latency tail is what is being judged.
 *
 * What autocannon's own summary would hide, and this does not:
 * - non-2xx latencies are recorded like any other (autocannon keeps them unless
 *   `excludeErrorStats`, but reports its histogram only);
 * - timeouts and connection errors become status-0 records with their own timing, where
 *   autocannon only counts them (its `reqError` event does not even say which connection);
 * - after a connection error autocannon does not clear its pending-request queue, so its own
 *   responseTime for the next answer is measured from the failed request's start; the times
 *   here are taken from the client's `request` and `response` events instead.
 */
import { createRequire } from 'node:module';
import type { RequestRecord } from '../model/run.ts';
import { systemClock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import { mixCycle, routeName, type RequestMix } from './arrivals.ts';
import { meetsExpectation } from '../model/success.ts';
import { reportProgressEvery } from './progress.ts';
import { errorCode, splitTarget, type LoadOptions, type LoadResult } from './types.ts';

/** `timeoutMs`: autocannon counts whole seconds and refuses less than 1 s, so at least 1000. */
export interface ClosedLoadOptions extends LoadOptions {
  /** Connections, each with one request in flight at a time. */
  connections: number;
}

export interface ClosedLoadResult extends LoadResult {
  /**
   * Requests cut off in flight when the run ended normally (autocannon closes the
   * connections at the end). Not recorded: charging the target for the harness stopping
   * would be wrong. At most one per connection.
   */
  unfinished: number;
  /**
   * Requests autocannon sent after the end, before it noticed (it checks at its sample
   * ticks). Not recorded: they are not the run's.
   */
  afterEnd: number;
}

/** The slice of autocannon's API used here (it ships no types). */
interface AutocannonClient {
  on(event: 'request', fn: () => void): void;
  on(event: 'response', fn: (statusCode: number, resBytes: number, responseTime: number) => void): void;
  on(event: 'timeout', fn: () => void): void;
  on(event: 'connError', fn: (err: unknown) => void): void;
}
interface AutocannonInstance {
  stop(): void;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: unknown) => void) => AutocannonInstance;

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

/** How many entries the weighted mix cycle has: weights are exact to 1 % per cycle. */
const MIX_CYCLE = 100;

interface Pending {
  sent: number;
  route: string;
  /** The statuses its mix entry counts as a success. */
  expect: RequestMix['expect'];
}

/**
 * Drives closed-model load through autocannon and returns one record per request it saw
 * finish (answered, timed out, failed), sorted by due (= sent) time.
 *
 * @example
 *   const run = await runClosedLoad({ target: 'http://127.0.0.1:8080', connections: 10,
 *     durationMs: 30_000, timeoutMs: 2000, requests: mix, rng: seededRng(7) });
 */
export async function runClosedLoad(opts: ClosedLoadOptions): Promise<ClosedLoadResult> {
  const clock = opts.clock ?? systemClock;
  if (!(opts.connections >= 1)) throw new RangeError(`connections must be >= 1, got ${opts.connections}`);
  if (!(opts.durationMs > 0)) throw new RangeError(`durationMs must be > 0, got ${opts.durationMs}`);
  const { origin, basePath } = splitTarget(opts.target);
  // autocannon's request iterator goes through `requests` in order, per connection; a shuffled
  // cycle with counts in proportion to the weights makes that a weighted mix, and lets the
  // n-th request of a connection be named without looking inside autocannon.
  const cycle = mixCycle(opts.requests, seededRng(Math.floor(opts.rng.next() * 0x1_0000_0000)), MIX_CYCLE);
  const names = cycle.map(routeName);
  const acRequests = cycle.map((m) => {
    const headers = { ...m.headers };
    if (m.contentType && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = m.contentType;
    }
    const req: Record<string, unknown> = {
      method: m.method.toUpperCase(),
      path: basePath + (m.path.startsWith('/') ? m.path : `/${m.path}`),
      headers,
    };
    if (m.body !== undefined) req.body = m.body;
    return req;
  });

  const signal = opts.signal;
  const startedAt = opts.startAt ?? clock.now();
  if (startedAt > clock.now()) {
    try {
      await clock.sleep(startedAt - clock.now(), signal);
    } catch {
      // Aborted before t = 0: nothing was sent.
    }
  }
  if (signal?.aborted) return { requests: [], startedAt, durationMs: 0, aborted: true, unfinished: 0, afterEnd: 0 };
  const rel = () => clock.now() - startedAt;

  const records: RequestRecord[] = [];
  const pendings = new Set<{ current: Pending | null }>();
  let sent = 0;
  let errors = 0;
  let afterEnd = 0;
  /** Past the end (or the abort), requests autocannon still sends are not the run's. */
  let stopped = false;
  const record = (p: Pending, status: number, error?: string) => {
    const now = rel();
    const r: RequestRecord = { due: p.sent, sent: p.sent, end: now, status, route: p.route, ok: meetsExpectation(status, p.expect) };
    if (error !== undefined) r.error = error;
    records.push(r);
    opts.onRecord?.(r);
    if (!r.ok) errors++;
  };

  const setupClient = (client: AutocannonClient) => {
    const slot: { current: Pending | null } = { current: null };
    pendings.add(slot);
    let n = 0;
    // A request still pending when the connection sends another was lost: autocannon
    // reconnects and moves on after a timeout (it then emits `timeout`, synchronously) or
    // when the server closed the connection (nothing emitted at all).
    let orphan: Pending | null = null;
    client.on('request', () => {
      const i = n++ % cycle.length;
      const route = names[i]!;
      if (slot.current) {
        const lost = slot.current;
        orphan = lost;
        queueMicrotask(() => {
          if (orphan === lost) {
            orphan = null;
            record(lost, 0, 'closed');
          }
        });
      }
      slot.current = stopped ? null : { sent: rel(), route, expect: cycle[i]!.expect };
      if (slot.current) sent++;
      else afterEnd++;
    });
    client.on('response', (statusCode) => {
      if (slot.current) record(slot.current, statusCode);
      slot.current = null;
    });
    client.on('timeout', () => {
      if (orphan) record(orphan, 0, 'timeout');
      orphan = null;
    });
    client.on('connError', (err) => {
      if (slot.current) record(slot.current, 0, errorCode(err));
      slot.current = null;
    });
  };

  let aborted = false;
  let abortedAt = opts.durationMs;
  let instance: AutocannonInstance | undefined;
  const onSignal = () => {
    aborted = true;
    stopped = true;
    abortedAt = Math.min(rel(), opts.durationMs);
    instance?.stop();
  };

  const progress = () =>
    opts.onProgress?.({ t: rel(), sent, done: records.length, inFlight: [...pendings].filter((s) => s.current).length, errors });
  const cancelProgress = reportProgressEvery(clock, opts.onProgress !== undefined, progress);
  const cancelStop = clock.schedule(opts.durationMs, () => {
    stopped = true;
    instance?.stop();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      instance = autocannon(
        {
          url: origin,
          connections: opts.connections,
          pipelining: 1,
          duration: opts.durationMs / 1000,
          timeout: Math.max(1, opts.timeoutMs / 1000),
          requests: acRequests,
          setupClient,
          // autocannon notices the end (its own or stop()) only at a sample tick; 25 ms ticks
          // keep the overrun short. Its own summary is not used, so the sampling rate does not matter.
          sampleInt: 25,
        },
        (err) => (err ? reject(err) : resolve()),
      );
      signal?.addEventListener('abort', onSignal, { once: true });
    });
  } finally {
    signal?.removeEventListener('abort', onSignal);
    cancelStop();
    cancelProgress();
  }
  // Let the lost-request microtasks run before reading what is left.
  await Promise.resolve();

  let unfinished = 0;
  for (const slot of pendings) {
    if (!slot.current) continue;
    if (aborted) record(slot.current, 0, 'aborted');
    else unfinished++;
    slot.current = null;
  }
  progress();
  records.sort((a, b) => a.due - b.due);
  return { requests: records, startedAt, durationMs: aborted ? abortedAt : opts.durationMs, aborted, unfinished, afterEnd };
}
