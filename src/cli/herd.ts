/**
 * `faultline herd …`: published thundering-herd and retry studies, reproduced in virtual time
 * (src/sim/herd). Each subcommand is one function that adds itself to the `herd` command, in its
 * own file (herd-<name>.ts); HERD_SUBCOMMANDS below is the one place they are registered, and
 * main.ts registers `herd` itself with one line.
 */
import type { Command } from 'commander';
import { brookerSubcommand } from './herd-brooker.ts';
import { registerMetastableCommands } from './herd-metastable.ts';

/** Adds one subcommand (with its options and action) to `herd`. */
export type HerdSubcommand = (herd: Command) => void;

export const HERD_SUBCOMMANDS: readonly HerdSubcommand[] = [brookerSubcommand, registerMetastableCommands];

export function herdCommand(program: Command): Command {
  const herd = program.command('herd').description('published herd and retry studies, reproduced in virtual time with faultline’s own policy code');
  for (const add of HERD_SUBCOMMANDS) add(herd);
  return herd;
}
