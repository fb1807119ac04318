/**
 * The import rules of .dependency-cruiser.cjs (explained in ARCHITECTURE.md), checked on
 * every `npm test`: a wrong arrow fails here with the rule's name, the two files and the
 * rule's reason. Known violations (.dependency-cruiser-known-violations.json) are the ones
 * the architecture issue removes; that list may only shrink.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

interface Violation {
  rule: { name: string; severity: string };
  from: string;
  to: string;
}
interface Cruised {
  summary: { violations: Violation[]; error: number; totalCruised: number; ignore: number };
}

/** Runs dependency-cruiser over `src` in `cwd` with the project's rules; its JSON report. */
function cruise(cwd: string, ...flags: string[]): { report: Cruised } {
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json', ...flags], { cwd, encoding: 'utf8', timeout: 120_000 });
  if (!r.stdout) throw new Error(`dependency-cruiser printed nothing (exit ${r.status}): ${r.stderr}`);
  return { report: JSON.parse(r.stdout) as Cruised };
}

const describeViolation = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}`;

describe('import rules (.dependency-cruiser.cjs)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('src/ keeps them: no violation beyond the known ones', () => {
    const { report } = cruise(root, '--ignore-known', join(root, '.dependency-cruiser-known-violations.json'));
    // Known violations come back with severity `ignore`; every other one is new.
    const fresh = report.summary.violations.filter((v) => v.rule.severity !== 'ignore');
    console.log(`import rules: ${report.summary.totalCruised} modules, ${fresh.length} new violations, ${report.summary.ignore} known (to be removed)`);
    expect(report.summary.totalCruised).toBeGreaterThan(200);
    expect(fresh.map(describeViolation)).toEqual([]);
    expect(report.summary.error).toBe(0);
  }, 150_000);

  it('the known violations are still real: a fixed one must leave the list', () => {
    const known = JSON.parse(readFileSync(join(root, '.dependency-cruiser-known-violations.json'), 'utf8')) as Violation[];
    const { report } = cruise(root);
    const now = new Set(report.summary.violations.map(describeViolation));
    expect(known.map(describeViolation).filter((k) => !now.has(k))).toEqual([]);
  }, 150_000);

  it('a deliberately wrong import fails, naming the rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-arch-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'src/core'), { recursive: true });
    mkdirSync(join(dir, 'src/report'), { recursive: true });
    mkdirSync(join(dir, 'src/router'), { recursive: true });
    cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    writeFileSync(join(dir, 'src/report/result.ts'), 'export interface RunResult { runId: string }\n');
    // The floor reaching up, and the router reaching into the harness: two wrong arrows.
    writeFileSync(join(dir, 'src/core/clock.ts'), "import type { RunResult } from '../report/result.ts';\nexport const last = (r: RunResult) => r.runId;\n");
    writeFileSync(join(dir, 'src/router/router.ts'), "import { last } from '../core/clock.ts';\nimport type { RunResult } from '../report/result.ts';\nexport const id = (r: RunResult) => last(r);\n");
    const { report } = cruise(dir);
    expect(report.summary.error).toBe(2);
    expect(report.summary.violations.map(describeViolation).sort()).toEqual([
      'core-is-the-floor: src/core/clock.ts → src/report/result.ts',
      'router-stands-alone: src/router/router.ts → src/report/result.ts',
    ]);
  }, 150_000);
});
