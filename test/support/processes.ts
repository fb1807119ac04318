import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of the live child processes of `pid` (Linux /proc), to prove a run left none behind. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state, ppid, ...
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(after[1]) === pid && after[0] !== 'Z') out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Descendants of `pid`, at any depth. */
export function descendantsOf(pid: number): number[] {
  const direct = childrenOf(pid);
  return direct.flatMap((c) => [c, ...descendantsOf(c)]);
}

/** Live processes (zombies do not count) whose command line contains `mark`, other than this one. */
export function processesWith(mark: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmd.includes(mark) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') out.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return out;
}
