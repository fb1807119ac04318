import type { MetricSample } from '../model/run.ts';

/**
 * Reads a Prometheus text exposition (format 0.0.4) into samples named as PromQL sees them —
 * a histogram is its `_bucket{le}`, `_sum` and `_count` series, a summary its
 * `{quantile}`, `_sum` and `_count` — and lists the series names it declares (`# TYPE`),
 * including those with no sample yet.
 *
 * Read line by line rather than through parse-prometheus-text-format, which merged every
 * label set of a histogram into one and dropped their labels, `_sum` and `_count`: a router's
 * `router_request_duration_seconds` by route, provider and outcome came out as one series of
 * whichever label set was printed last.
 *
 * @example
 *   parseExposition('# TYPE up gauge\nup{job="a"} 1\n').samples // [{ name: 'up', labels: { job: 'a' }, value: 1 }]
 */
export function parseExposition(text: string): { samples: MetricSample[]; declared: string[] } {
  const samples: MetricSample[] = [];
  const declared: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (!m) continue;
      const [, name, type] = m as unknown as [string, string, string];
      if (type === 'histogram') declared.push(`${name}_bucket`, `${name}_sum`, `${name}_count`);
      else if (type === 'summary') declared.push(name, `${name}_sum`, `${name}_count`);
      else declared.push(name);
      continue;
    }
    const sample = parseSample(line);
    if (sample) samples.push(sample);
  }
  return { samples, declared };
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** `name{a="x",b="y\"z"} 12.5 [timestamp]`; null for a line that is not one. */
function parseSample(line: string): MetricSample | null {
  const name = NAME.exec(line)?.[0];
  if (!name) return null;
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const key = LABEL.exec(line.slice(i))?.[0];
      if (!key) return null;
      i += key.length;
      while (line[i] === ' ') i++;
      if (line[i] !== '=' || line[i + 1] !== '"') return null;
      i += 2;
      let value = '';
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length) {
          const next = line[++i];
          value += next === 'n' ? '\n' : next;
        } else value += line[i];
      }
      if (line[i] !== '"') return null;
      i++;
      labels[key] = value;
    }
  }
  const [valueText] = line.slice(i).trim().split(/\s+/);
  if (valueText === undefined || valueText === '') return null;
  const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
  if (Number.isNaN(value) && valueText !== 'NaN') return null;
  return { name, labels, value };
}
