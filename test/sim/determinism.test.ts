/**
 * Byte-identical result.json under a seed: the same scenario simulated twice gives the same
 * bytes (run id, start time and environment included), and another seed gives other bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/api.ts';
import { writeReports } from '../../src/report/reporter.ts';
import { simulateScenario } from '../../src/sim/index.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function resultJson(seed?: number): Promise<string> {
  const scenario = await loadScenario('scenarios/incidents/retry-storm.yaml');
  const { result } = await simulateScenario(scenario, { ...(seed !== undefined && { seed }), binMs: 10 });
  const dir = mkdtempSync(join(tmpdir(), 'faultline-sim-'));
  dirs.push(dir);
  await writeReports(result, dir, ['json']);
  return readFileSync(join(dir, 'result.json'), 'utf8');
}

describe('a simulated run under a seed', () => {
  it('writes the same result.json twice, byte for byte, and another with another seed', async () => {
    const a = await resultJson();
    const b = await resultJson();
    expect(a.length).toBeGreaterThan(10_000);
    expect(b).toBe(a);
    const parsed = JSON.parse(a) as { mode: string; runId: string; startedAt: string; environment: { seed: number } };
    expect(parsed).toMatchObject({ mode: 'sim', runId: '20260101T000000.000Z-sim2015', startedAt: '2026-01-01T00:00:00.000Z', environment: { seed: 2015 } });
    const other = await resultJson(7);
    expect(other).not.toBe(a);
    expect(JSON.parse(other).runId).toBe('20260101T000000.000Z-sim7');
  }, 60_000);
});
