import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../model/faults/index.ts';
import { faultLabel } from './fault-label.ts';

const fault = (f: Record<string, unknown>) => ({ name: 'f', fromMs: 0, toMs: 10_000, ...f }) as unknown as FaultSpec;

describe('faultLabel', () => {
  it('says what the fault does to whom, with its parameters', () => {
    expect(faultLabel(fault({ layer: 'network', kind: 'outage', shape: 'blackhole', toxicity: 1, jitterMs: 0, target: { provider: 'stripe', region: 'eu' } }))).toBe('stripe@eu blackhole');
    expect(faultLabel(fault({ layer: 'http', kind: 'error', status: 503, rate: 0.3, target: { provider: 'joke' } }))).toBe('joke 503 at 30 %');
    expect(faultLabel(fault({ layer: 'network', kind: 'latency', latencyMs: 150, jitterMs: 50, toxicity: 1, target: { provider: 'adyen', region: 'eu' } }))).toBe('adyen@eu latency 150ms ± 50ms');
    expect(faultLabel(fault({ layer: 'http', kind: 'latency', delay: { distribution: 'fixed', value: 800 }, rate: 1, target: { provider: 'joke', route: '/joke' } }))).toBe('joke /joke latency 800ms');
  });
});
