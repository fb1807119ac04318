/**
 * Test helpers: a RunResult around hand-made requests, with their samples packed as a real
 * run's are, so the comparison reads them the way it reads result.json.
 */
import { RESULT_FORMAT_VERSION } from '../model/result.ts';
import type { RunResult } from '../model/result.ts';
import type { RequestRecord } from '../model/run.ts';
import { encodeSamples } from '../model/samples.ts';
import type { Rng } from '../core/rng.ts';

/** A request due at `due` ms that took `latency` ms and answered `status` (0: a network error). */
export function request(due: number, latency: number, status = 200): RequestRecord {
  return { due, sent: due, end: due + latency, status, route: 'GET /', ok: status >= 200 && status < 400 };
}

/** A completed open-model run of `requests`. */
export function resultOf(requests: RequestRecord[], over: Partial<RunResult> = {}): RunResult {
  const durationMs = Math.max(1000, Math.ceil(Math.max(0, ...requests.map((r) => r.due)) / 1000) * 1000);
  return {
    formatVersion: RESULT_FORMAT_VERSION,
    runId: over.runId ?? 'run',
    mode: 'sim',
    scenario: { name: 'synthetic', file: 'synthetic.yaml' },
    startedAt: new Date(0).toISOString(),
    durationMs,
    status: 'completed',
    verdict: 'pass',
    expected: 'pass',
    slos: [],
    load: { model: 'open', rate: 100, arrival: 'uniform', requests: requests.length, availability: null, throughput: 0, latency: null },
    providers: [],
    warnings: [],
    upstream: [],
    faults: [],
    series: { t: [], ok: [], status4xx: [], status5xx: [], errors: [], p50: [], p99: [], upstream: {} },
    routerMetrics: [],
    environment: { node: 'test', toxiproxy: 'none', seed: 1, host: 'test' },
    samples: encodeSamples(requests),
    ...over,
  };
}

/**
 * `seconds` × `rate` requests, uniformly due, latencies from `draw` (given the rng and the
 * request's due time), failing with probability `errorRate` (status 503).
 */
export function syntheticRun(rng: Rng, seconds: number, rate: number, draw: (rng: Rng, due: number) => number, errorRate = 0, over: Partial<RunResult> = {}): RunResult {
  const requests: RequestRecord[] = [];
  const n = seconds * rate;
  for (let i = 0; i < n; i++) {
    const due = (i * 1000) / rate;
    requests.push(request(due, draw(rng, due), rng.next() < errorRate ? 503 : 200));
  }
  return resultOf(requests, over);
}

/** A lognormal draw with the given median and log-sd: latencies are skewed. */
export function lognormal(rng: Rng, median: number, sigma: number): number {
  // Box–Muller on two uniforms.
  const u = 1 - rng.next();
  const v = rng.next();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}
