/** Shapes the load drivers share. */
import type { RequestRecord } from '../model/run.ts';
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import type { RequestMix } from './arrivals.ts';

/** A snapshot of a running load, for the progress line. Times in ms since t = 0. */
export interface LoadProgress {
  t: number;
  /** Requests that went out on the wire. */
  sent: number;
  /** Requests finished (answered, failed or not sendable). */
  done: number;
  inFlight: number;
  /** Finished requests that were not a success: no answer (status 0) or a status the request does not expect (default: anything but 2xx/3xx). */
  errors: number;
}

/** What both load drivers take; each adds its model's own knobs. */
export interface LoadOptions {
  /** Base URL of the system under test; mix paths are appended to its path. */
  target: string;
  durationMs: number;
  /** Per request; a request not answered in time is recorded as status 0 `timeout`. */
  timeoutMs: number;
  requests: RequestMix[];
  /** Seeds every random choice of the driver (arrival gaps, mix picks or order). */
  rng: Rng;
  clock?: Clock;
  /** Aborting stops the load; what was measured is returned, marked aborted. */
  signal?: AbortSignal;
  /** Called about every 250 ms while running, and once at the end. */
  onProgress?: (p: LoadProgress) => void;
  /** Called with each request as it finishes (the abortOnFail watch judges SLOs over these while the run goes). */
  onRecord?: (r: RequestRecord) => void;
  /** Epoch ms of t = 0 (to line up with fault schedules); default now. A time in the future is waited for. */
  startAt?: number;
}

/** What a load driver returns: every request it sent or meant to send, in completion order. */
export interface LoadResult {
  requests: RequestRecord[];
  /** Epoch ms of t = 0. */
  startedAt: number;
  /** How long load ran, in ms: the planned duration, or up to the abort. */
  durationMs: number;
  aborted: boolean;
}

/** Base URL → origin and path prefix, so `http://h:1/api` + `/users` becomes `/api/users` on origin `http://h:1`. */
export function splitTarget(target: string): { origin: string; basePath: string } {
  const url = new URL(target);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`target must be an http(s) URL, got ${JSON.stringify(target)}`);
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

/** The error code of a failed request: the socket's code (ECONNREFUSED...) or undici's, else the error's name. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; name?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof e.code === 'string' && e.code) return e.code;
    // Happy-eyeballs connects (localhost → ::1 and 127.0.0.1) fail with an AggregateError.
    if (Array.isArray(e.errors) && e.errors.length > 0) return errorCode(e.errors[0]);
    if (e.cause) return errorCode(e.cause);
    if (typeof e.name === 'string' && e.name) return e.name;
  }
  return 'error';
}
