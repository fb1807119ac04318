/**
 * A scenario and its variants side by side: the console table (SLO × run, each cell the
 * verdict and the measured value, `≠` where the verdict differs from the base's) and the
 * machine-readable rows (variants-<id>.json). The comparison page is variants-html.ts.
 *
 * A run "met its expectation" as in a suite: it completed and its verdict is the one it
 * expected (a variant, like a broken twin, may expect `fail`).
 *
 * @example
 *   console.log(formatVariantTable(runs, { color: false }));
 */
import { styleText } from 'node:util';
import type { RunResult, SloVerdict } from '../model/result.ts';
import { formatSloPair, outcome } from './format.ts';

/** One run of the comparison: the base (named `base`) or a variant. */
export interface VariantRun {
  name: string;
  description?: string;
  /** The variant's settings as written; empty for the base. */
  set: Record<string, unknown>;
  result: RunResult;
  /** Its result.json and report.html, as the reader should see them (the page links its own relative paths). */
  resultJson: string;
  reportHtml: string;
}

/** Whether a run met its expectation: the CI gate of `outcome` (completed, or stopped by an abortOnFail breach, with the verdict it expected). */
export const metExpectation = (r: RunResult): boolean => outcome(r).asExpected;

type Style = Parameters<typeof styleText>[0];

/** Whether this SLO's verdict differs from the base's (an SLO the base lacks counts as differing). */
export function differsFromBase(base: RunResult, slo: SloVerdict): boolean {
  const b = base.slos.find((s) => s.name === slo.name);
  return !b || b.passed !== slo.passed;
}

const NAME_CAP = 44;

/** The console table: a row per SLO, a column per run (the base first), then each run's verdict. */
export function formatVariantTable(runs: readonly VariantRun[], opts: { color: boolean }): string {
  const paint = (style: Style, text: string) => (opts.color ? styleText(style, text, { validateStream: false }) : text);
  const base = runs[0]!.result;
  const sloNames = [...new Set(runs.flatMap((r) => r.result.slos.map((s) => s.name)))];
  // Cells as plain text first (padding), painted after.
  type Cell = { text: string; style?: Style };
  const cell = (r: VariantRun, name: string): Cell => {
    const s = r.result.slos.find((x) => x.name === name);
    if (!s) return { text: '—' };
    const diff = r !== runs[0] && differsFromBase(base, s);
    return { text: `${s.passed ? '✓' : '✗'} ${formatSloPair(s).value}${diff ? ' ≠' : ''}`, ...(diff ? { style: ['bold', 'yellow'] as Style } : !s.passed ? { style: 'red' as Style } : {}) };
  };
  const verdictCell = (r: VariantRun): Cell => {
    const met = metExpectation(r.result);
    const text = `${r.result.status === 'aborted' ? 'aborted' : r.result.verdict}${r.result.expected === 'fail' ? ' (expect fail)' : ''} ${met ? '✓' : '✗'}`;
    return { text, style: met ? 'green' : ['bold', 'red'] };
  };
  const label = (n: string) => (n.length > NAME_CAP ? `${n.slice(0, NAME_CAP - 1)}…` : n);
  const rows: { head: string; cells: Cell[] }[] = [
    ...sloNames.map((n) => ({ head: label(n), cells: runs.map((r) => cell(r, n)) })),
    { head: 'verdict (met expectation)', cells: runs.map(verdictCell) },
  ];
  const headWidth = Math.max(...rows.map((r) => r.head.length), 3);
  const widths = runs.map((r, i) => Math.max(r.name.length, ...rows.map((row) => row.cells[i]!.text.length)));
  const line = (head: string, cells: Cell[]) =>
    `  ${head.padEnd(headWidth)}  ${cells.map((c, i) => (c.style ? paint(c.style, c.text.padEnd(widths[i]!)) : c.text.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  const out = [
    line('SLO', runs.map((r) => ({ text: r.name, style: 'bold' as Style }))),
    ...rows.slice(0, -1).map((r) => line(r.head, r.cells)),
    line('', runs.map((_, i) => ({ text: '─'.repeat(widths[i]!) }))),
    line(rows[rows.length - 1]!.head, rows[rows.length - 1]!.cells),
  ];
  const met = runs.filter((r) => metExpectation(r.result)).length;
  out.push('', `  ≠ the verdict differs from the base's.  ${met} of ${runs.length} runs met their expectation.`);
  for (const r of runs.slice(1)) out.push(`  ${r.name}: ${Object.entries(r.set).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}`);
  return out.join('\n');
}

/** variants-<id>.json: a row per run. */
export function variantRows(runs: readonly VariantRun[]): object {
  const base = runs[0]!.result;
  return {
    scenario: base.scenario,
    rows: runs.map((r) => ({
      name: r.name,
      ...(r.description !== undefined && { description: r.description }),
      overrides: r.set,
      expected: r.result.expected,
      verdict: r.result.verdict,
      status: r.result.status,
      met: metExpectation(r.result),
      slos: r.result.slos.map((s) => ({
        name: s.name,
        passed: s.passed,
        value: s.value,
        threshold: s.threshold,
        unit: s.unit,
        differsFromBase: r !== runs[0] && differsFromBase(base, s),
      })),
      result: r.resultJson,
    })),
  };
}
