/**
 * The run's collector: what the run measures beyond the load driver's own records. It
 * scrapes the target's /metrics every second while load runs, reads what the fixture
 * providers received (the ground truth), and assembles the run's `RunData` from those, the
 * load's requests and the faults' switches. The run (src/run/run.ts) says when; this says how.
 */
import type { Clock } from '../core/clock.ts';
import type { FaultSwitch, MetricScrape, RequestRecord, RunData, UpstreamRecord } from '../model/run.ts';
import { parseExposition } from './scrape.ts';

const SCRAPE_EVERY_MS = 1000;
/** A scrape that takes longer is dropped: the next one is due anyway. */
const SCRAPE_TIMEOUT_MS = 2000;

/** Where the collector reads from: the run's environment provides both. */
export interface CollectorSources {
  /** The target's Prometheus endpoint; none (a service without `target.metrics`): no scrapes. */
  metricsUrl?: string;
  /** Every request the fixture providers received, timed from `t0` (epoch ms of the run's t = 0). */
  upstream(t0: number): Promise<UpstreamRecord[]>;
}

/** What the load driver and the fault timeline measured themselves, for `finish`. */
export interface MeasuredRun {
  /** Epoch ms of t = 0. */
  startedAt: number;
  /** How long load ran (0 if it never started). */
  durationMs: number;
  requests: RequestRecord[];
  faults: FaultSwitch[];
}

export interface Collector {
  /** Scrapes at `t0` (epoch ms) and every second after; scrape times are ms since `t0`. */
  startScraping(t0: number): void;
  /** Stops the scrapes: waits for the one in flight, then takes one last one. */
  stopScraping(): Promise<void>;
  /** Reads what the providers received since `t0`; call it before the environment closes. Throws what the source throws (upstream then stays empty). */
  collectUpstream(t0: number): Promise<void>;
  /** The scrapes taken so far. */
  readonly scrapes: readonly MetricScrape[];
  /** The run's data: the measured run, with the upstream records and the scrapes collected here. */
  finish(run: MeasuredRun): RunData;
}

/**
 * A collector over the environment's sources, on `clock`.
 *
 * @example
 *   const collector = createCollector({ metricsUrl: env.metricsUrl, upstream: (t0) => env.collectUpstream(t0) }, clock);
 *   collector.startScraping(t0);
 *   // ... load runs ...
 *   await collector.stopScraping();
 *   await collector.collectUpstream(t0);
 *   const data = collector.finish({ startedAt: t0, durationMs, requests, faults });
 */
export function createCollector(sources: CollectorSources, clock: Clock): Collector {
  const scrapes: MetricScrape[] = [];
  let upstream: UpstreamRecord[] = [];
  let stopScraping: () => Promise<void> = async () => {};
  return {
    startScraping(t0) {
      stopScraping = scrapeEvery(sources.metricsUrl, clock, t0, scrapes);
    },
    stopScraping: () => stopScraping(),
    async collectUpstream(t0) {
      upstream = await sources.upstream(t0);
    },
    scrapes,
    finish: (run) => ({ startedAt: run.startedAt, durationMs: run.durationMs, requests: run.requests, upstream, faults: run.faults, scrapes }),
  };
}

/** Scrapes the router's /metrics every second until stopped, then once more at the end. */
function scrapeEvery(metricsUrl: string | undefined, clock: Clock, t0: number, into: MetricScrape[]): () => Promise<void> {
  if (!metricsUrl) return async () => {};
  const url = metricsUrl;
  let stopped = false;
  let cancel = () => {};
  let inFlight: Promise<void> = Promise.resolve();
  const scrape = async () => {
    const t = clock.now() - t0;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      if (res.ok) into.push({ t, ...parseExposition(await res.text()) });
    } catch {
      // A missed scrape leaves a gap; counters are read as increases between the scrapes we have.
    }
  };
  const loop = () => {
    if (stopped) return;
    inFlight = scrape();
    cancel = clock.schedule(SCRAPE_EVERY_MS, loop);
  };
  cancel = clock.schedule(Math.max(0, t0 - clock.now()), loop);
  return async () => {
    stopped = true;
    cancel();
    await inFlight;
    await scrape();
  };
}
