/**
 * Builders of hand-made RunData for the SLO tests: every number in a test's expectation
 * can be worked out from what these put in.
 */
import type { FaultSwitch, MetricScrape, RequestRecord, RunData, UpstreamRecord } from '../model/run.ts';

/** A request due at `due`, answered `latency` ms later with `status`. */
export function req(due: number, status = 200, latency = 10, route = 'GET /'): RequestRecord {
  return { due, sent: due, end: due + latency, status, route };
}

/** `n` requests due every `gap` ms from `start`, all alike. */
export function reqs(n: number, opts: { start?: number; gap?: number; status?: number; latency?: number; route?: string } = {}): RequestRecord[] {
  const { start = 0, gap = 10, status = 200, latency = 10, route = 'GET /' } = opts;
  return Array.from({ length: n }, (_, i) => req(start + i * gap, status, latency, route));
}

export function up(t: number, provider: string, opts: { region?: string; endpoint?: string; status?: number } = {}): UpstreamRecord {
  return { t, provider, endpoint: opts.endpoint ?? 'GET /', status: opts.status ?? 200, ...(opts.region === undefined ? {} : { region: opts.region }) };
}

export function fault(name: string, on: number | null, off: number | null): FaultSwitch {
  return { fault: name, layer: 'http', kind: 'error', scheduledOn: on ?? 0, on, scheduledOff: off ?? 0, off };
}

/** A scrape at `t` of the given `name{labels} value` samples. */
export function scrape(t: number, samples: [string, Record<string, string>, number][]): MetricScrape {
  return { t, samples: samples.map(([name, labels, value]) => ({ name, labels, value })) };
}

export function runData(parts: Partial<RunData> = {}): RunData {
  return { startedAt: 0, durationMs: 10_000, requests: [], upstream: [], faults: [], scrapes: [], ...parts };
}
