/**
 * One scenario's simulation, steady state: what a sweep pays per point. Loads the scenario once
 * (`loadScenario`), warms up, then times `simulateScenario(s, { seed: i })` N times in turn
 * and prints the median, quartiles and events per second of wall time.
 *
 *   node_modules/.bin/node bench/sim-steady.ts [scenario.yaml] [--runs N]   # default retry-storm, 20 runs
 */
import { loadScenario } from '../src/api.ts';
import { simulateScenario } from '../src/sim/index.ts';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 20;
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs') ?? 'scenarios/incidents/retry-storm.yaml';
const WARM = 2;

const scenario = await loadScenario(file);
for (let i = 0; i < WARM; i++) await simulateScenario(scenario, { seed: 1000 + i });
const ms: number[] = [];
const cpu: number[] = [];
let events = 0;
let requests = 0;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const c = process.cpuUsage();
  const { stats } = await simulateScenario(scenario, { seed: i });
  const used = process.cpuUsage(c);
  ms.push(performance.now() - t);
  cpu.push((used.user + used.system) / 1000);
  events += stats.events;
  requests += stats.simulatedRequests;
}
const sorted = [...ms].sort((a, b) => a - b);
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const total = ms.reduce((a, b) => a + b, 0);
const cpuSorted = [...cpu].sort((a, b) => a - b);
console.log(`${file}: ${RUNS} runs after ${WARM} warm-up, seeds 0..${RUNS - 1}`);
console.log(`wall per run: median ${q(sorted, 0.5).toFixed(1)} ms (p25 ${q(sorted, 0.25).toFixed(1)}, p75 ${q(sorted, 0.75).toFixed(1)}, min ${sorted[0]!.toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)})`);
// CPU time (this process, all its threads: GC helpers included) holds better than wall time on a shared box.
console.log(`CPU per run:  median ${q(cpuSorted, 0.5).toFixed(1)} ms (p25 ${q(cpuSorted, 0.25).toFixed(1)}, p75 ${q(cpuSorted, 0.75).toFixed(1)})`);
console.log(`${Math.round(events / RUNS)} events and ${Math.round(requests / RUNS)} client requests per run; ${Math.round(events / (total / 1000)).toLocaleString('en-US')} events / wall s`);
