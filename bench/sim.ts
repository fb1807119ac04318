/**
 * How fast the simulator's Brooker study runs (src/sim/herd/brooker.ts), against the study's own
 * reference, the aws-samples Python simulator, on the same workload in the same run: the issue's
 * "Brooker workload", 100 clients × 100 repetitions × 5 strategies (about 690 000 simulated
 * calls, i.e. writes; as many reads again).
 *
 * Aims (issue 11): at least 1 000 000 simulated calls per second of wall time on one core, and
 * at least 20× the Python simulator's speed on the same workload.
 *
 * Both sides time their simulation loops only: faultline's `brookerTable` in this process
 * (after a warm-up round, so the JIT has settled), Python's `setup_sim` + `run_sim` inside
 * bench/brooker/driver.py (its own perf_counter and process_time, so neither the interpreter's
 * start nor the import is counted). The two run in turn, several faultline rounds per Python
 * round, so both see the same neighbours; each side is judged on its median. The host has 2
 * cores shared with other work, so CPU time is reported beside wall time: its ratio holds when
 * the neighbours' load swings. Both simulate the same model with their own random streams, so
 * their call totals differ by a fraction of a percent; the speeds are per call.
 *
 * Python is $BENCH_PYTHON if set (`none` to leave it out), else /usr/bin/python3, else python3
 * on PATH; without a Python 3 the ratio is skipped, and the output says so.
 *
 *   node_modules/.bin/node bench/sim.ts            # about 15 s
 *   node_modules/.bin/node bench/sim.ts --quick    # about 4 s
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { BROOKER_STRATEGIES, brookerTable } from '../src/sim/herd/brooker.ts';

const QUICK = process.argv.includes('--quick');
/** Python rounds (each about 2.5 s), and faultline rounds per Python round. */
const PY_ROUNDS = QUICK ? 1 : 5;
const FL_PER_PY = 3;
const CLIENTS = 100;
const REPS = 100;
const AIM_RATE = 1_000_000;
const AIM_RATIO = 20;
/** Hard cap on the whole run. */
const DEADLINE_MS = 120_000;

const started = performance.now();
const driver = fileURLToPath(new URL('./brooker/driver.py', import.meta.url));

interface Round {
  calls: number;
  wallS: number;
  cpuS: number;
}

function faultline(seed: number): Round {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const table = brookerTable({ clients: [CLIENTS], reps: REPS, seed });
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { calls: table.stats.upstreamCalls, wallS, cpuS: (cpu.user + cpu.system) / 1e6 };
}

function findPython(): string | undefined {
  const asked = process.env.BENCH_PYTHON;
  if (asked === 'none') return undefined;
  for (const p of asked ? [asked] : ['/usr/bin/python3', 'python3']) {
    if (p.startsWith('/') && !existsSync(p)) continue;
    const r = spawnSync(p, ['-c', 'import sys; print(sys.version_info[0])'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '3') return p;
  }
  return undefined;
}

function python(exe: string, seed: number): Round & { version: string } {
  const r = spawnSync(exe, [driver, '--clients', String(CLIENTS), '--reps', String(REPS), '--seed', String(seed), '--summary'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`the Python simulator failed (exit ${r.status ?? r.signal}): ${r.stderr.trim()}`);
  const out = JSON.parse(r.stdout) as { totalCalls: number; wallSeconds: number; cpuSeconds: number; python: string };
  return { calls: out.totalCalls, wallS: out.wallSeconds, cpuS: out.cpuSeconds, version: out.python };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const exe = findPython();
console.log(`Brooker workload: ${CLIENTS} clients × ${REPS} repetitions × ${BROOKER_STRATEGIES.length} strategies; node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)}`);
faultline(0); // warm-up: the JIT, not the steady state, would be measured otherwise

const fl: Round[] = [];
const py: (Round & { version: string })[] = [];
let seed = 1;
for (let round = 0; round < PY_ROUNDS; round++) {
  for (let i = 0; i < FL_PER_PY; i++) fl.push(faultline(seed++));
  if (exe) py.push(python(exe, round + 1));
  if (performance.now() - started > DEADLINE_MS) {
    console.error(`bench/sim: over the ${DEADLINE_MS / 1000} s deadline after ${round + 1} rounds; stopping`);
    break;
  }
}

const rate = (rs: Round[], k: 'wallS' | 'cpuS') => median(rs.map((r) => r.calls / r[k]));
const flWall = rate(fl, 'wallS');
const flCpu = rate(fl, 'cpuS');
const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
const verdict = (ok: boolean) => (ok ? 'yes' : 'NO');

const rows: string[][] = [['faultline (brookerTable)', `${fl.length}`, `${Math.round(median(fl.map((r) => r.calls))).toLocaleString('en')}`, `${(median(fl.map((r) => r.wallS)) * 1000).toFixed(0)} ms`, `${M(flWall)}`, `${M(flCpu)}`]];
if (py.length) {
  rows.push([
    `aws-samples simulator (Python ${py[0]!.version})`,
    `${py.length}`,
    `${Math.round(median(py.map((r) => r.calls))).toLocaleString('en')}`,
    `${(median(py.map((r) => r.wallS)) * 1000).toFixed(0)} ms`,
    `${M(rate(py, 'wallS'))}`,
    `${M(rate(py, 'cpuS'))}`,
  ]);
}
printTable(['simulator', 'rounds', 'calls/round', 'wall/round', 'calls/s wall', 'calls/s CPU'], rows);

console.log('');
const aims: string[][] = [['simulated calls per second of wall time, one core', M(flWall), `≥ ${M(AIM_RATE)}`, verdict(flWall >= AIM_RATE)]];
if (py.length) {
  const wallRatio = flWall / rate(py, 'wallS');
  const cpuRatio = flCpu / rate(py, 'cpuS');
  aims.push(['× the Python simulator, wall time', `${wallRatio.toFixed(1)}×`, `≥ ${AIM_RATIO}×`, verdict(wallRatio >= AIM_RATIO)]);
  aims.push(['× the Python simulator, CPU time (for reference)', `${cpuRatio.toFixed(1)}×`, '', '']);
} else {
  const where = process.env.BENCH_PYTHON ? `BENCH_PYTHON=${process.env.BENCH_PYTHON}` : '/usr/bin/python3 or python3 on PATH';
  aims.push(['× the Python simulator', `skipped: no Python 3 (${where})`, `≥ ${AIM_RATIO}×`, '—']);
}
printTable(['measure', 'figure', 'aim', 'met'], aims);

function printTable(head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  console.log(line(head));
  for (const r of body) console.log(line(r));
}
