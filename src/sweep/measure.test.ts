import { describe, expect, it } from 'vitest';
import { measurable, measure } from './measure.ts';
import { parseObjective } from './plan.ts';
import { reqs, runData, up } from '../slo/testing.ts';

describe('objectives as SLO-language expressions', () => {
  it('any metric expression becomes measurable, with a zero of its kind; its unit is the evaluator\'s', () => {
    expect(measurable('p99(latency)')).toEqual({ ok: true, slo: 'p99(latency) >= 0ms', unit: 'ms' });
    expect(measurable('upstream_requests / requests')).toEqual({ ok: true, slo: 'upstream_requests / requests >= 0', unit: 'ratio' });
    expect(measurable('availability')).toMatchObject({ ok: true, unit: 'ratio' });
    const bad = measurable('p99(latncy)');
    expect(bad.ok || bad.error).toMatch(/did you mean `latency`\? \(at character 5\)/);
    expect(measurable('p99(latency) +').ok).toBe(false);
  });

  it('names: cost is provider_cost_total, max: maximises', () => {
    expect(parseObjective('cost')).toMatchObject({ ok: true, objective: { name: 'cost', expr: 'provider_cost_total', direction: 'min' } });
    expect(parseObjective('max:availability')).toMatchObject({ ok: true, objective: { name: 'availability', direction: 'max', unit: 'ratio' } });
    expect(parseObjective('  ').ok).toBe(false);
  });

  it('measure: the evaluator\'s value over the whole run', () => {
    const data = runData({ durationMs: 10_000, requests: reqs(100, { gap: 100, latency: 20 }), upstream: Array.from({ length: 130 }, (_, i) => up(i * 70, 'backend')) });
    expect(measure('upstream_requests / requests >= 0', data)).toBeCloseTo(1.3, 9);
    expect(measure('p99(latency) >= 0ms', data)).toBeCloseTo(20, 0);
  });
});
