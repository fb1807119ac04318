#!/usr/bin/env node
/**
 * faultline's command line: a thin shell over the programmatic API (src/run, src/router,
 * src/toxiproxy). Only this layer prints, reads the environment and sets exit codes:
 * 0 every SLO held, 1 an SLO was breached, 2 invalid input or an environment that would not
 * start, 130 interrupted (the partial result is still written, marked aborted).
 */
import { Command, InvalidArgumentError } from 'commander';
import { runCommand, suiteCommand, validateCommand } from './commands.ts';
import { routerCommand, toxiproxyCommand } from './serve.ts';

const program = new Command()
  .name('faultline')
  .description('Chaos-engineering and resilience test harness: inject faults, drive load, gate CI on resilience SLOs.')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
};
const collect = (v: string, all: string[]) => [...all, v];

program
  .command('run')
  .description('run scenarios: faults, load, SLO verdict, reports (exit 0 pass, 1 SLO breached, 2 invalid or environment failed)')
  .argument('<scenario...>', 'scenario YAML files')
  .option('-o, --reports <dir>', 'where reports/<scenario>/<run-id>/ go', 'reports')
  .option('--toxiproxy <server>', 'embedded (default), container (a real Toxiproxy via testcontainers; needs Docker) or a Toxiproxy API URL on this host (default: $TOXIPROXY_URL, else embedded)')
  .option('--no-progress', 'no progress line, even on a terminal')
  .action(async (files: string[], o) => process.exit(await runCommand(files, o)));

program
  .command('suite')
  .description('run every scenario in a folder; broken twins (expect: fail) are expected to fail, so the suite passes when each scenario meets its expectation')
  .argument('[dir]', 'folder of scenario files', 'scenarios')
  .option('-o, --reports <dir>', 'where reports go', 'reports')
  .option('--toxiproxy <server>', 'embedded (default), container (a real Toxiproxy via testcontainers; needs Docker) or a Toxiproxy API URL on this host (default: $TOXIPROXY_URL, else embedded)')
  .option('--no-progress', 'no progress line, even on a terminal')
  .action(async (dir: string, o) => process.exit(await suiteCommand(dir, o)));

program
  .command('validate')
  .description('check scenario files against the schema and each other; print every error with file:line:column (exit 2 when any is invalid)')
  .argument('<scenario...>', 'scenario YAML files')
  .action(async (files: string[]) => process.exit(await validateCommand(files)));

program
  .command('router')
  .description('serve the reference router on its own, e.g. to put it under another load tool')
  .requiredOption('-c, --config <file>', 'router config YAML (see fixtures/routers/)')
  .option('-p, --port <n>', 'port to listen on', port, 8080)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('-u, --upstream <provider=url>', 'override a provider URL (provider or provider@region), repeatable', collect, [])
  .option('--seed <n>', 'seed for jitter and other random choices', (v) => Number(v), 1)
  .action(async (o) => routerCommand(o));

program
  .command('toxiproxy')
  .description("serve the embedded Toxiproxy-compatible API on its own (Toxiproxy's CLI and clients work against it)")
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('-p, --port <n>', 'API port', port, 8474)
  .option('--seed <n>', 'seed for jitter and toxicity draws', (v) => Number(v), 1)
  .action(async (o) => toxiproxyCommand(o));

await program.parseAsync(process.argv);
