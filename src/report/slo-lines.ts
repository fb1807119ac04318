/**
 * One aligned line per SLO verdict — mark, name, measured against threshold with the margin,
 * window and samples — shared by the run summary and the Vitest matcher, so a test log and
 * the CLI say the same thing in the same words.
 */
import { styleText } from 'node:util';
import { comparatorSymbol, formatCount, formatSloPair, sloMiss } from './format.ts';
import type { SloVerdict } from '../model/result.ts';

type Style = Parameters<typeof styleText>[0];

const NAME_WIDTH_CAP = 32;

/**
 * @example
 *   sloVerdictLines(result.slos).join('\n')
 *   // ✗ availability  68.44 % ≥ 99 % (short by 30.56 points)  run · 716 samples
 */
export function sloVerdictLines(slos: SloVerdict[], opts: { color?: boolean; indent?: string } = {}): string[] {
  // validateStream: false because the caller already decided; styleText would otherwise look at stdout itself.
  const paint = (style: Style, text: string) => (opts.color ? styleText(style, text, { validateStream: false }) : text);
  const indent = opts.indent ?? '  ';
  const width = Math.min(NAME_WIDTH_CAP, Math.max(0, ...slos.map((s) => s.name.length)));
  // Padded as plain text first: colour codes would throw padEnd's count off.
  const rows = slos.map((slo) => {
    const pair = formatSloPair(slo);
    const miss = sloMiss(slo);
    return { slo, measured: `${pair.value} ${comparatorSymbol(slo.comparator)} ${pair.threshold}${miss ? ` (${miss})` : ''}` };
  });
  const measuredWidth = Math.max(0, ...rows.map((r) => r.measured.length));
  return rows.map(({ slo, measured }) => {
    const icon = slo.passed ? paint('green', '✓') : paint('red', '✗');
    const name = slo.name.length > width ? `${slo.name.slice(0, width - 1)}…` : slo.name.padEnd(width);
    const cell = measured.padEnd(measuredWidth);
    const where = paint('dim', `${slo.window} · ${formatCount(slo.samples)} samples`);
    return `${indent}${icon} ${name}  ${slo.passed ? cell : paint('red', cell)}  ${where}`;
  });
}
