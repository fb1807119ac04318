import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import type { FaultSwitch, RequestRecord, UpstreamRecord } from '../model/run.ts';
import { createCollector } from './collector.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A loopback /metrics endpoint whose counter counts the scrapes; `status` decides each answer. */
async function metricsServer(status: (n: number) => number = () => 200): Promise<{ url: string; served: () => number }> {
  let n = 0;
  server = createServer((req, res) => {
    n++;
    res.writeHead(status(n), { 'content-type': 'text/plain' });
    res.end(`# TYPE scrapes_total counter\nscrapes_total{path="${req.url}"} ${n}\n# TYPE idle_total counter\n`);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, served: () => n };
}

const noUpstream = async (): Promise<UpstreamRecord[]> => [];

describe('the collector', () => {
  it('scrapes at t0 and every second after, timed from t0, and once more when stopped', async () => {
    const clock = new FakeClock(10_000);
    const collector = createCollector({ metricsUrl: (await metricsServer()).url, upstream: noUpstream }, clock);
    collector.startScraping(10_500);
    clock.advance(499);
    expect(collector.scrapes).toHaveLength(0);
    clock.advance(1);
    await vi.waitFor(() => expect(collector.scrapes).toHaveLength(1), { timeout: 5000 });
    clock.advance(1000);
    await vi.waitFor(() => expect(collector.scrapes).toHaveLength(2), { timeout: 5000 });
    clock.advance(250);
    await collector.stopScraping();
    expect(clock.pending).toBe(0);
    expect(collector.scrapes.map((s) => s.t)).toEqual([0, 1000, 1250]);
    expect(collector.scrapes.map((s) => s.samples)).toEqual([1, 2, 3].map((value) => [{ name: 'scrapes_total', labels: { path: '/metrics' }, value }]));
    // Declared with no sample yet: a 0, not a missing metric.
    expect(collector.scrapes[0]!.declared).toEqual(['scrapes_total', 'idle_total']);
  });

  it('leaves a gap for a scrape that failed, and keeps scraping', async () => {
    const clock = new FakeClock(0);
    const metrics = await metricsServer((n) => (n === 2 ? 500 : 200));
    const collector = createCollector({ metricsUrl: metrics.url, upstream: noUpstream }, clock);
    collector.startScraping(0);
    clock.advance(0);
    await vi.waitFor(() => expect(collector.scrapes).toHaveLength(1), { timeout: 5000 });
    clock.advance(1000);
    // The second scrape answers 500: it is dropped, the next one is taken.
    await vi.waitFor(() => expect(metrics.served()).toBe(2), { timeout: 5000 });
    clock.advance(1000);
    await vi.waitFor(() => expect(collector.scrapes).toHaveLength(2), { timeout: 5000 });
    await collector.stopScraping();
    expect(collector.scrapes.map((s) => [s.t, s.samples[0]!.value])).toEqual([
      [0, 1],
      [2000, 3],
      [2000, 4],
    ]);
  });

  it('scrapes nothing without a metrics endpoint, and assembles the run data', async () => {
    const clock = new FakeClock(0);
    const received: UpstreamRecord[] = [{ t: 12, provider: 'joke', endpoint: 'GET /joke', status: 200 }];
    const asked: number[] = [];
    const collector = createCollector({ upstream: async (t0) => (asked.push(t0), received) }, clock);
    collector.startScraping(100);
    expect(clock.pending).toBe(0);
    await collector.stopScraping();
    await collector.collectUpstream(123);
    expect(asked).toEqual([123]);
    const requests: RequestRecord[] = [{ due: 0, sent: 1, end: 5, status: 200, route: 'GET /joke', ok: true }];
    const faults: FaultSwitch[] = [{ fault: 'joke-5xx', layer: 'http', kind: 'error', scheduledOn: 0, on: 1, scheduledOff: 10, off: 11 }];
    expect(collector.finish({ startedAt: 123, durationMs: 10, requests, faults })).toEqual({ startedAt: 123, durationMs: 10, requests, upstream: received, faults, scrapes: [] });
  });

  it('keeps upstream empty when the providers cannot be read, and says why', async () => {
    const collector = createCollector({ upstream: async () => Promise.reject(new Error('provider host gone')) }, new FakeClock(0));
    await expect(collector.collectUpstream(0)).rejects.toThrow('provider host gone');
    expect(collector.finish({ startedAt: 0, durationMs: 0, requests: [], faults: [] }).upstream).toEqual([]);
  });
});
