/**
 * The report's verdict banner: what broke and when, in one sentence a person reads first.
 *
 *   FAIL — 2 of 5 SLOs broke during stripe-eu-down (stripe@eu blackhole, 10.0 s–40.0 s):
 *   availability 97.1 % < 99 %, p99 latency 1.2s > 800ms
 *
 * Failed SLOs are grouped by their window, so the sentence says when as well as what; a
 * pass, a broken twin's expected failure, a twin that passed and an aborted run are each
 * worded as what they mean.
 */
import type { RunResult, SloVerdict } from '../model/result.ts';
import { formatSloPair, outcome } from './format.ts';

/** The comparator a failed SLO's value stands in to its threshold: `p99 < 400ms` failed means `≥`. */
const BROKEN: Record<SloVerdict['comparator'], string> = { '<': '≥', '<=': '>', '>': '≤', '>=': '<', '==': '≠', '!=': '=' };

export interface VerdictBanner {
  /** `pass`, `fail`, `expected-fail`, `unexpected-pass`, `aborted`: the banner's colour. */
  kind: string;
  /** `FAIL`, `PASS`, `ABORTED`…, shown bold. */
  label: string;
  /** The rest of the sentence, after the dash. */
  detail: string;
  /** The whole sentence, as one line (the page's title, a test's). */
  text: string;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `during stripe-eu-down (stripe@eu blackhole, 10.0 s–40.0 s)`, `over the whole run`, `in recovery after x (15.0 s–20.0 s)`. */
function when(window: string, range: SloVerdict['range'], result: RunResult): string {
  const span = range ? `${secs(range[0])}–${secs(range[1])}` : 'never opened';
  if (window === 'run') return 'over the whole run';
  const during = /^during (.+)$/.exec(window);
  if (during) {
    const fault = result.faults.find((f) => f.fault === during[1]);
    return `during ${during[1]} (${fault?.label ? `${fault.label}, ` : ''}${span})`;
  }
  const recovery = /^recovery after (.+?)(?: \(.*\))?$/.exec(window);
  if (recovery) return `in the recovery after ${recovery[1]} (${span})`;
  return `in ${window} (${span})`;
}

/** `availability 97.1 % < 99 %`; `p99 latency: no samples in the window`. */
function broke(slo: SloVerdict): string {
  if (slo.value === null) return `${slo.name}: ${slo.range === null ? 'its window never opened' : 'no samples in its window'}`;
  const pair = formatSloPair(slo);
  return `${slo.name} ${pair.value} ${BROKEN[slo.comparator]} ${pair.threshold}`;
}

/** What broke, window by window: the fault windows in the order they opened, the whole run last (it says least about when). */
function whatBroke(result: RunResult, failed: SloVerdict[]): string {
  const groups = new Map<string, SloVerdict[]>();
  for (const s of failed) groups.set(s.window, [...(groups.get(s.window) ?? []), s]);
  const start = (slos: SloVerdict[]) => (slos[0]!.window === 'run' ? Infinity : (slos[0]!.range?.[0] ?? Infinity));
  const parts = [...groups.values()].sort((a, b) => start(a) - start(b)).map((slos) => `${when(slos[0]!.window, slos[0]!.range, result)}: ${slos.map(broke).join(', ')}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join('; ')}; and ${parts.at(-1)}` : parts.join('');
}

/** The faults that switched on, as `stripe-eu-down (stripe@eu 503, 5.0 s–15.0 s)`, for a pass: what the SLOs held through. */
function faultsRun(result: RunResult): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const f of result.faults) {
    if (f.on === null || seen.has(f.fault)) continue;
    seen.add(f.fault);
    parts.push(`${f.fault} (${f.label ? `${f.label}, ` : ''}${secs(f.on)}–${f.off === null ? 'the end' : secs(f.off)})`);
  }
  return parts.length === 0 ? '' : parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/**
 * Whether the run was cut short without a verdict: interrupted or crashed. A run an
 * `abortOnFail` SLO stopped (`abortedOnFail`, where results carry it) broke that SLO: a FAIL
 * that stopped early, as the CI gate (`outcome`) reads it.
 */
function cutShort(result: RunResult): boolean {
  return result.status === 'aborted' && (result as { abortedOnFail?: unknown }).abortedOnFail === undefined;
}

export function verdictBanner(result: RunResult): VerdictBanner {
  const failed = result.slos.filter((s) => !s.passed);
  const n = result.slos.length;
  const of = `${failed.length} of ${n} SLO${n === 1 ? '' : 's'}`;
  let kind: string;
  let label: string;
  let detail: string;
  if (cutShort(result)) {
    kind = 'aborted';
    label = 'ABORTED';
    const why = result.abortReason ?? 'no reason was recorded';
    detail = `${why}, after ${secs(result.durationMs)}; the SLOs cannot vouch for a run cut short${failed.length ? `, and ${of} had already broken ${whatBroke(result, failed)}` : ''}`;
  } else {
    const o = outcome(result);
    kind = o.kind;
    label = o.label;
    const through = faultsRun(result);
    if (o.kind === 'pass') detail = `all ${n} SLO${n === 1 ? '' : 's'} held${through ? ` through ${through}` : ' (no fault was injected)'}`;
    else if (o.kind === 'unexpected-pass')
      detail = `a broken twin whose ${n} SLO${n === 1 ? '' : 's'} all held${through ? ` through ${through}` : ''}: they do not catch the fault they are meant to catch`;
    else if (o.kind === 'expected-fail') detail = `a broken twin, caught as intended: ${of} broke ${whatBroke(result, failed)}`;
    else detail = failed.length ? `${of} broke ${whatBroke(result, failed)}` : 'the run failed though every SLO held';
    // Stopped by an abortOnFail SLO: say so, and why.
    if (result.status === 'aborted') detail += `; the run stopped there (${result.abortReason ?? 'an abortOnFail SLO broke'})`;
  }
  return { kind, label, detail, text: `${label} — ${detail}` };
}
