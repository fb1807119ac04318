/**
 * A whole run over real loopback sockets: fixture providers and the embedded Toxiproxy in
 * one worker process, the reference router in another, faults switched through Toxiproxy's
 * API (via its Node client) and the providers' MSW handlers, open-model load from here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScenarioFile } from '../../src/scenario/load.ts';
import { executeRun, type RunOutcome } from '../../src/run/run.ts';
import { childrenOf } from '../support/processes.ts';

const scenarioFile = new URL('../fixtures/e2e/weather-short.yaml', import.meta.url).pathname;

describe('faultline run, end to end', () => {
  let reports: string;
  let outcome: RunOutcome;

  beforeAll(async () => {
    reports = await mkdtemp(join(tmpdir(), 'faultline-e2e-'));
    const loaded = await readScenarioFile(scenarioFile);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    outcome = await executeRun(loaded.scenario, { reportsDir: reports, runId: 'e2e' });
  }, 60_000);

  afterAll(async () => {
    await rm(reports, { recursive: true, force: true });
  });

  it('passes its SLOs and writes result.json, report.html and junit.xml', async () => {
    const { result, dir } = outcome;
    expect(dir).toBe(join(reports, 'weather-short', 'e2e'));
    expect(result.status).toBe('completed');
    expect(result.slos.map((s) => [s.name, s.passed, s.message])).toEqual(result.slos.map((s) => [s.name, true, s.message]));
    expect(result.verdict).toBe('pass');
    const json = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8'));
    expect(json).toMatchObject({ formatVersion: 3, verdict: 'pass', scenario: { name: 'weather-short' } });
    expect(json.slos[0]).toMatchObject({ name: 'availability', expression: 'availability >= 99%', passed: true, threshold: 0.99 });
    for (const f of ['report.html', 'junit.xml']) expect((await stat(join(dir, f))).size).toBeGreaterThan(500);
  });

  it('sends the open-model load on schedule', () => {
    const { result } = outcome;
    // 50/s uniform for 4.5 s: exactly 225 arrivals.
    expect(result.load.requests).toBe(225);
    expect(result.series.t).toHaveLength(5);
  });

  it('switches each fault on and off near its scheduled time', () => {
    for (const f of outcome.result.faults) {
      expect(f.on, f.fault).not.toBeNull();
      expect(f.off, f.fault).not.toBeNull();
      // Generous bounds for a loaded 2-core CI machine; the fidelity suite holds the tight ones.
      expect(Math.abs(f.on! - f.scheduledOn), f.fault).toBeLessThan(150);
      expect(Math.abs(f.off! - f.scheduledOff), f.fault).toBeLessThan(150);
    }
  });

  it('counts at the providers that a disabled proxy let nothing through to the primary', async () => {
    const json = JSON.parse(await readFile(join(outcome.dir, 'result.json'), 'utf8'));
    const down = outcome.result.faults.find((f) => f.fault === 'primary-down')!;
    const primary = json.upstream.find((u: { provider: string }) => u.provider === 'weather-primary');
    const backup = json.upstream.find((u: { provider: string }) => u.provider === 'weather-backup');
    expect(primary.requests).toBeGreaterThan(50); // it served before the outage
    expect(backup.requests).toBeGreaterThan(50); // and the backup took over
    // The per-second ground truth: no second wholly inside the outage reached the primary.
    const perSecond: number[] = json.series.upstream['weather-primary'];
    for (let s = Math.ceil(down.on! / 1000); s + 1 <= Math.floor(down.off! / 1000); s++) expect(perSecond[s], `second ${s}`).toBe(0);
  });

  it('scrapes the router metrics a practitioner expects', () => {
    const names = new Set(outcome.result.routerMetrics.map((m) => m.name));
    for (const n of ['circuit_breaker_state', 'failover_invocations_total', 'router_request_duration_seconds_bucket']) expect(names, n).toContain(n);
    const opened = outcome.result.routerMetrics.filter((m) => m.name === 'circuit_breaker_transitions_total' && m.labels.provider === 'weather-primary' && m.labels.to === 'open');
    expect(opened.reduce((a, m) => a + m.value, 0)).toBeGreaterThanOrEqual(1);
  });

  it('leaves no worker process behind', () => {
    expect(childrenOf(process.pid)).toEqual([]);
  });
});
