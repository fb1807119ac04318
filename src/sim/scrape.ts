import type { MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';
import type { MetricSample } from '../model/run.ts';

/**
 * The router's registry read as the collector's text scrape reads it (src/collect/scrape.ts
 * `parseExposition` of `registry.metrics()`), without printing the text and parsing it back:
 * the simulator scrapes once per simulated second and the print + parse was ~3 % of a run.
 *
 * Same samples, same order: prom-client prints each metric's `get()` values in order, a
 * value's own labels before its shared ones (the duration histogram's `le` first), label
 * values as strings, and a NaN as `Nan`, which the text parser drops (so this drops it too).
 * `-0` prints as `0`. Declared names as `# TYPE` lines give them (a histogram its three).
 * The counters' and gauges' `collect()` run inside `get()`, synchronously, as for the text.
 * Checked against the text scrape for the router's full metric set in scrape.test.ts.
 */
export async function readRegistry(registry: Registry): Promise<{ samples: MetricSample[]; declared: string[] }> {
  const metrics = await Promise.all(registry.getMetricsAsArray().map((m) => (m as unknown as { get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> }).get()));
  const samples: MetricSample[] = [];
  const declared: string[] = [];
  for (const m of metrics) {
    const name = m.name;
    const type = String(m.type);
    if (type === 'histogram') declared.push(`${name}_bucket`, `${name}_sum`, `${name}_count`);
    else if (type === 'summary') declared.push(name, `${name}_sum`, `${name}_count`);
    else declared.push(name);
    for (const v of m.values) {
      const value = v.value;
      if (Number.isNaN(value)) continue;
      const labels: Record<string, string> = {};
      for (const key in v.labels) labels[key] = labelText(v.labels[key]);
      samples.push({ name: v.metricName ?? name, labels, value: value === 0 ? 0 : value });
    }
  }
  return { samples, declared };
}

/** A label value as the text carries it and the parser reads it back: `le` 0.001 is "0.001", Infinity "+Inf" only if given as a string. */
function labelText(v: string | number | undefined): string {
  return typeof v === 'string' ? v : String(v);
}
