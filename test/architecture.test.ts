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
  // spawnSync's default 1 MB buffer cut the JSON report short once src/ passed ~345 modules.
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json', ...flags], { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
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
    cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    const write = (file: string, text: string) => {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    };
    write('src/model/result.ts', 'export interface RunResult { runId: string }\n');
    write('src/router/index.ts', "export { parse } from './config.ts';\n");
    write('src/router/config.ts', 'export const parse = (s: string) => s;\n');
    write('src/faults/plan.ts', 'export const plan = () => 1;\n');
    write('src/slo/index.ts', 'export const evaluate = () => true;\n');
    // The floor reaching up.
    write('src/core/clock.ts', "import type { RunResult } from '../model/result.ts';\nexport const last = (r: RunResult) => r.runId;\n");
    write('src/model/window.ts', "import { evaluate } from '../slo/index.ts';\nexport const w = evaluate;\n");
    // The router reaching into the harness, and the harness past the router's front door.
    write('src/router/router.ts', "import type { RunResult } from '../model/result.ts';\nexport const id = (r: RunResult) => r.runId;\n");
    write('src/run/host.ts', "import { parse } from '../router/config.ts';\nexport const p = parse;\n");
    // Two parts that should meet in the model importing each other: also a cycle of folders.
    write('src/providers/stage.ts', "import { plan } from '../faults/plan.ts';\nexport const stage = plan;\n");
    write('src/faults/timeline.ts', "import { stage } from '../providers/stage.ts';\nexport const t = stage;\n");
    // The scenario loader reaching up into the simulator (only the API and the CLI use it).
    write('src/sim/index.ts', 'export const simulate = () => 1;\n');
    write('src/scenario/load.ts', "import { simulate } from '../sim/index.ts';\nexport const b = simulate;\n");
    const { report } = cruise(dir);
    const found = report.summary.violations.map(describeViolation).sort();
    console.log(`deliberately wrong imports, as dependency-cruiser names them:\n  ${found.join('\n  ')}`);
    expect(found).toEqual([
      'core-is-the-floor: src/core/clock.ts → src/model/result.ts',
      'model-is-the-ground-floor: src/model/window.ts → src/slo/index.ts',
      'no-folder-cycle: src/faults → src/providers',
      'no-folder-cycle: src/providers → src/faults',
      'parts-meet-in-the-model: src/faults/timeline.ts → src/providers/stage.ts',
      'parts-meet-in-the-model: src/providers/stage.ts → src/faults/plan.ts',
      'router-stands-alone: src/router/router.ts → src/model/result.ts',
      'router-through-its-front-door: src/run/host.ts → src/router/config.ts',
      'sim-is-an-orchestrator: src/scenario/load.ts → src/sim/index.ts',
    ]);
    expect(report.summary.error).toBe(found.length);
  }, 150_000);
});
