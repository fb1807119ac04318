/**
 * `faultline herd …`: published results on retries, herds and metastable failures,
 * reproduced in virtual time (src/sim). Each subcommand lives in its own file and registers
 * itself here with one line.
 */
import type { Command } from 'commander';
import { registerMetastableCommands } from './herd-metastable.ts';

export function registerHerdCommand(program: Command): Command {
  const herd = program.command('herd').description('reproduce published results on retries and metastable failures in virtual time');
  registerMetastableCommands(herd);
  return herd;
}
