/**
 * A fault in a few words with its parameters, for the report's fault bands: `stripe@eu
 * blackhole`, `joke 503 at 30 %`, `adyen@eu latency 150ms ± 50ms`. Read off the normalised
 * fault's fields by name, so a new kind gets a label without a case here (its target and
 * kind at least).
 */
import { describeDistribution, type Distribution } from '../core/distributions.ts';
import { formatDuration } from '../core/units.ts';
import type { FaultSpec } from '../model/faults/index.ts';

const pct = (f: number) => `${+(f * 100).toFixed(1)} %`;
const ms = (v: number) => (v === 0 ? '0ms' : formatDuration(v));

export function faultLabel(f: FaultSpec): string {
  const r = f as unknown as Record<string, unknown>;
  const num = (k: string) => (typeof r[k] === 'number' && Number.isFinite(r[k]) ? (r[k] as number) : undefined);
  const target = `${f.target.provider}${f.target.region ? `@${f.target.region}` : ''}`;
  const route = typeof (f.target as { route?: unknown }).route === 'string' ? ` ${(f.target as { route: string }).route}` : '';
  const parts = [`${target}${route}`];
  if (f.kind === 'error' && num('status') !== undefined) parts.push(String(num('status')));
  else if (f.kind === 'outage' && typeof r.shape === 'string') parts.push(r.shape);
  else parts.push(f.kind);
  const delay = r.delay as Distribution | undefined;
  if (delay && typeof delay === 'object' && 'distribution' in delay) parts.push(describeDistribution(delay, 'ms'));
  const latency = num('latencyMs');
  if (latency !== undefined) parts.push(`${ms(latency)}${num('jitterMs') ? ` ± ${ms(num('jitterMs')!)}` : ''}`);
  for (const [k, unit] of [
    ['delayMs', 'ms'],
    ['timeoutMs', 'ms'],
    ['kbps', 'KB/s'],
    ['bytes', 'B'],
  ] as const) {
    const v = num(k);
    if (v !== undefined) parts.push(unit === 'ms' ? ms(v) : `${v} ${unit}`);
  }
  const share = num('rate') ?? num('toxicity');
  if (share !== undefined && share < 1) parts.push(`at ${pct(share)}`);
  return parts.join(' ');
}
