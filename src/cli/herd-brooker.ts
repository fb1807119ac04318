/**
 * `faultline herd brooker`: Brooker's "Exponential Backoff And Jitter" study (src/sim/herd/
 * brooker.ts), printed as a table beside the aws-samples simulator's figures, with the post's
 * findings judged on it; `--json` prints the rows alone. Exit 0 (the table is the answer; the
 * findings and agreement are lines in it), 2 for an option out of range.
 */
import { Option, type Command } from 'commander';
import {
  agreement,
  BROOKER_CLIENTS,
  BROOKER_REFERENCE,
  BROOKER_REPS,
  BROOKER_SETUP,
  brookerFindings,
  brookerTable,
  CALLS_AGREEMENT,
  MAX_CLIENTS,
  MAX_REPS,
  TIME_AGREEMENT,
  type BrookerTable,
  type RetryNumbering,
} from '../sim/herd/brooker.ts';
import { exit } from './exit.ts';
import { seedNumber, wholeNumber, wholeNumbers } from './herd-options.ts';

interface BrookerFlags {
  clients: number[];
  reps: number;
  seed: number;
  numbering: RetryNumbering;
  json?: boolean;
}

export function brookerSubcommand(herd: Command): void {
  herd
    .command('brooker')
    .summary('Brooker\'s "Exponential Backoff And Jitter" (AWS, 2015): calls and completion time per backoff strategy and client count')
    .description(
      'Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015): N clients racing to update one row under optimistic concurrency, with no backoff, exponential, full, equal and decorrelated jitter (faultline’s backoffDelay); total calls and completion time per client count, beside the aws-samples simulator’s',
    )
    .addOption(
      new Option('--clients <list>', 'client counts, comma-separated').argParser(wholeNumbers('a client count', 1, MAX_CLIENTS)).default([...BROOKER_CLIENTS], BROOKER_CLIENTS.join(',')),
    )
    .option('--reps <n>', 'repetitions per strategy and client count', wholeNumber('--reps', 1, MAX_REPS), BROOKER_REPS)
    .option('--seed <n>', 'seed for the network delays and jitter', seedNumber, 1)
    .addOption(
      new Option('--numbering <how>', 'retry numbering: brooker (first retry n = 1, as the simulator) or router (n = 0, as faultline’s RetryPolicy)').choices(['brooker', 'router']).default('brooker'),
    )
    .option('--json', 'print the table as JSON rows {strategy, clients, reps, calls, time, callsSd, timeSd}')
    .action(async (o: BrookerFlags) => exit(brookerCommand(o)));
}

export function brookerCommand(o: BrookerFlags): number {
  const started = performance.now();
  let table: BrookerTable;
  try {
    table = brookerTable({ clients: [...o.clients].sort((a, b) => a - b), reps: o.reps, seed: o.seed, numbering: o.numbering });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    console.error(`herd brooker: ${err.message}`);
    return 2;
  }
  const wallMs = performance.now() - started;
  if (o.json) console.log(JSON.stringify(table.rows, null, 2));
  else process.stdout.write(formatBrooker(table, wallMs));
  return 0;
}

const num = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const pct = (r: number) => `${((r - 1) * 100).toFixed(1)} %`;

/** The table for a terminal: set-up, one block per client count, the reference beside, the findings under. */
export function formatBrooker(table: BrookerTable, wallMs: number): string {
  const ref = BROOKER_REFERENCE;
  const reps = table.rows[0]?.reps ?? 0;
  const lines: string[] = [];
  lines.push('Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015), reproduced with faultline’s backoffDelay');
  lines.push(
    `  N clients each write one row once under optimistic concurrency; network legs |N(${BROOKER_SETUP.netMean}, ${BROOKER_SETUP.netSd})|, base ${BROOKER_SETUP.base}, cap ${BROOKER_SETUP.cap};`,
  );
  lines.push(`  calls = writes per run, time = until the last client is done; mean ± sd over ${reps} repetitions, seed ${table.seed}`);
  if (table.numbering === 'router') lines.push('  retry numbering: router (first retry n = 0, as faultline’s RetryPolicy) — not the simulator’s, so the reference is not expected to match');
  lines.push(`  reference: ${ref.source.repository.replace('https://github.com/', '')}@${ref.source.commit.slice(0, 7)} under Python ${ref.python}, ${ref.reps} repetitions (${ref.command})`);
  lines.push('');
  const head = ['clients', 'strategy', 'calls ± sd', 'time ± sd', 'ref calls', 'Δ calls', 'ref time', 'Δ time'];
  const body: string[][] = [];
  const agree = new Map(agreement(table).map((a) => [`${a.strategy}/${a.clients}`, a]));
  let last = -1;
  for (const r of table.rows) {
    if (last !== -1 && r.clients !== last) body.push([]);
    last = r.clients;
    const a = agree.get(`${r.strategy}/${r.clients}`);
    body.push([
      String(r.clients),
      r.strategy,
      `${num(r.calls)} ± ${num(r.callsSd)}`,
      `${num(r.time)} ± ${num(r.timeSd)}`,
      a ? num(a.referenceCalls) : '—',
      a ? `${pct(a.callsRatio)}${a.callsWithin ? '' : ' !'}` : '—',
      a ? num(a.referenceTime) : '—',
      a ? `${pct(a.timeRatio)}${a.timeWithin ? '' : ' !'}` : '—',
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  lines.push(line(head));
  for (const row of body) lines.push(row.length ? line(row) : '');
  lines.push('');

  const rows = [...agree.values()];
  if (rows.length) {
    const worst = (k: 'callsRatio' | 'timeRatio') => rows.reduce((w, a) => (Math.abs(a[k] - 1) > Math.abs(w[k] - 1) ? a : w));
    const wc = worst('callsRatio');
    const wt = worst('timeRatio');
    lines.push(
      `Agreement with the reference: mean calls within ±${CALLS_AGREEMENT * 100} % in ${rows.filter((a) => a.callsWithin).length} of ${rows.length} cells (largest ${pct(wc.callsRatio)}, ${wc.strategy} × ${wc.clients}); ` +
        `mean time within ±${TIME_AGREEMENT * 100} % in ${rows.filter((a) => a.timeWithin).length} of ${rows.length} (largest ${pct(wt.timeRatio)}, ${wt.strategy} × ${wt.clients}). ! marks a cell outside.`,
    );
  } else lines.push('Agreement with the reference: not judged (the reference has none of these client counts: 1, 2, 5, 10, 25, 50, 100).');
  lines.push('The post’s findings:');
  for (const f of brookerFindings(table)) lines.push(`  ${f.holds === undefined ? '–' : f.holds ? '✓' : '✗'} ${f.claim}: ${f.detail}`);
  lines.push('');
  const perSecond = table.stats.upstreamCalls / (wallMs / 1000);
  lines.push(`${table.stats.upstreamCalls.toLocaleString('en')} simulated calls (writes; as many reads) in ${(wallMs / 1000).toFixed(2)} s wall: ${(perSecond / 1e6).toFixed(1)} M calls/s`);
  return `${lines.join('\n')}\n`;
}
