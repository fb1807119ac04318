/**
 * What a run must say loudly though no SLO judges it: a declared provider that received no
 * request at all (the service is not calling it through its proxy — the classic miswiring
 * of a service under test), and one that answered mostly 4xx (a path it does not serve, a
 * request it rejects). The verdict stays the SLOs'; these go to result.json's `warnings` and
 * the top of the summary.
 */
import type { UpstreamRecord } from '../model/run.ts';
import type { ProviderEndpoint } from '../model/result.ts';
import type { Scenario } from '../model/scenario.ts';

/** Above this share of 4xx among a provider's answers, it is flagged. */
export const MOSTLY_4XX = 0.5;

/** Each endpoint with the requests it received. */
export function providerEndpoints(endpoints: readonly Omit<ProviderEndpoint, 'requests'>[], upstream: readonly UpstreamRecord[]): ProviderEndpoint[] {
  const counts = new Map<string, number>();
  for (const u of upstream) {
    const k = `${u.provider}\u0000${u.region ?? ''}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return endpoints.map((e) => ({ ...e, requests: counts.get(`${e.name}\u0000${e.region ?? ''}`) ?? 0 }));
}

export function runWarnings(
  scenario: Pick<Scenario, 'providers' | 'faults'> & { target?: Pick<Scenario['target'], 'kind'> },
  upstream: readonly UpstreamRecord[],
  endpoints: readonly Omit<ProviderEndpoint, 'requests'>[],
  opts: { completed: boolean },
): string[] {
  const out: string[] = [];
  for (const p of scenario.providers) {
    const records = upstream.filter((u) => u.provider === p.name);
    const where = endpoints.filter((e) => e.name === p.name);
    if (records.length === 0) {
      // An aborted run may simply have stopped before the first call.
      if (!opts.completed) continue;
      if (scenario.target?.kind === 'router') {
        // faultline wires the reference router itself: not a miswiring, but still nothing was judged there.
        out.push(`provider \`${p.name}\` received no request at all: the reference router never called it (a fallback that was never needed?), so faults on it and SLOs about it judged nothing`);
        continue;
      }
      const addr = where.map((e) => `${e.url}${e.region ? ` (${e.region})` : ''}`).join(', ');
      const vars = where.map((e) => e.env).join(', ');
      out.push(
        `provider \`${p.name}\` received no request at all: the target is not calling it through its proxy${addr ? ` at ${addr}` : ''}` +
          `${vars ? ` (${vars})` : ''} — check the service's upstream address${p.kind === 'url' ? ` (it may be calling ${p.url} directly)` : ''}`,
      );
      continue;
    }
    // Statuses the scenario's own HTTP faults inject on this provider are not the provider's answers.
    const injected = new Set<number>();
    for (const f of scenario.faults) {
      if (f.layer !== 'http' || f.target.provider !== p.name) continue;
      if (f.kind === 'error' || f.kind === 'content_type') injected.add(f.status);
    }
    const answers = records.filter((r) => r.status !== 0 && !injected.has(r.status));
    const client = answers.filter((r) => r.status >= 400 && r.status < 500);
    if (answers.length === 0 || client.length / answers.length <= MOSTLY_4XX) continue;
    const byWhat = new Map<string, number>();
    for (const r of client) byWhat.set(`${r.status} on ${r.endpoint}`, (byWhat.get(`${r.status} on ${r.endpoint}`) ?? 0) + 1);
    const top = [...byWhat].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([what, n]) => `${what} ×${n}`);
    const share = Math.round((client.length / answers.length) * 1000) / 10;
    out.push(
      `provider \`${p.name}\` answered 4xx to ${share} % of its ${answers.length} answers (${top.join(', ')}): ` +
        'is the service calling a path the provider does not serve, or sending a request it rejects?',
    );
  }
  return out;
}
