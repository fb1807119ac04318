import parsePrometheus from 'parse-prometheus-text-format';
import type { MetricSample } from '../model/run.ts';

interface ParsedFamily {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string; quantiles?: Record<string, string> }[];
}

/**
 * Flattens a Prometheus text exposition into samples named as PromQL sees them (a
 * histogram becomes its `_bucket{le}`, `_sum` and `_count` series), and lists the series
 * names it declares, including those with no sample yet.
 */
export function parseExposition(text: string): { samples: MetricSample[]; declared: string[] } {
  const families = parsePrometheus(text) as ParsedFamily[];
  const out: MetricSample[] = [];
  const declared: string[] = [];
  for (const f of families) {
    if (f.type === 'HISTOGRAM') declared.push(`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`);
    else if (f.type === 'SUMMARY') declared.push(f.name, `${f.name}_sum`, `${f.name}_count`);
    else declared.push(f.name);
    for (const m of f.metrics) {
      const labels = m.labels ?? {};
      if (m.value !== undefined) out.push({ name: f.name, labels, value: Number(m.value) });
      if (m.buckets) {
        for (const [le, v] of Object.entries(m.buckets)) out.push({ name: `${f.name}_bucket`, labels: { ...labels, le }, value: Number(v) });
      }
      if (m.quantiles) {
        for (const [q, v] of Object.entries(m.quantiles)) out.push({ name: f.name, labels: { ...labels, quantile: q }, value: Number(v) });
      }
      if (m.count !== undefined) out.push({ name: `${f.name}_count`, labels, value: Number(m.count) });
      if (m.sum !== undefined) out.push({ name: `${f.name}_sum`, labels, value: Number(m.sum) });
    }
  }
  return { samples: out, declared };
}
