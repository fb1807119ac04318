/**
 * `npm run bench`: every benchmark in bench/, one after the other (they measure timing, so
 * never in parallel). Each compares against its own baseline in the same run and prints ratios.
 * Extra arguments (e.g. --quick) are passed to each.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = ['toxiproxy.ts', 'policies.ts', 'router.ts', 'sim.ts', 'sim-router.ts', 'sweep.ts'];
let failed = 0;
for (const b of benches) {
  console.log(`\n=== bench/${b}`);
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(b, import.meta.url)), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
