#!/usr/bin/env node
/**
 * faultline's command line: a thin shell over the programmatic API (src/run, src/router,
 * src/toxiproxy). Only this layer prints, reads the environment and sets exit codes:
 * 0 every SLO held, 1 an SLO was breached, 2 invalid input or an environment that would not
 * start, 130 interrupted (the partial result is still written, marked aborted).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { runCommand, suiteCommand, validateCommand } from './commands.ts';
import { initCommand } from './init.ts';
import { routerCommand, toxiproxyCommand } from './serve.ts';
import { herdCommand } from './herd.ts';
import { packageVersion } from './version.ts';
import { exit } from './exit.ts';
import { simCommand } from './sim.ts';
import { compareCommand, confidence } from './compare.ts';
import { DEFAULT_CONFIDENCE } from '../compare/index.ts';
import { sweepCommand } from './sweep.ts';
import { variantNamesFlag } from './variants.ts';
import { bin, override, reporter, REPORTER_HELP, seed, variable } from './flags.ts';


const program = new Command()
  .name('faultline')
  .description('Chaos-engineering and resilience test harness: inject faults, drive load, gate CI on resilience SLOs.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  // Thrown, not exited: commander would call process.exit itself after the override returned.
  .exitOverride((err) => {
    throw err;
  });

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
};
const collect = (v: string, all: string[]) => [...all, v];

/** The options run, suite and validate take: `-e` variables and the overrides. */
const scenarioOptions = (cmd: Command, overrides = true) => {
  cmd.option('-e, --env <KEY=VALUE>', 'a variable for ${KEY} in scenario files, repeatable (looked up before the process environment)', variable);
  if (overrides) {
    cmd
      .option('--duration <duration>', "run for this long instead of the scenario's duration, e.g. 10s (faults must still fit)", override('duration'))
      .option('--rate <rate>', "arrival rate instead of the scenario's (open model), e.g. 20/s, 600/m or 20", override('rate'))
      .option('--seed <n>', "seed instead of the scenario's", seed);
  }
  return cmd;
};

scenarioOptions(program
  .command('run')
  .description('run scenarios: faults, load, SLO verdict, reports (exit 0 pass or a broken twin that failed as expected, 1 SLO breached, 2 invalid, environment failed or aborted, 130 interrupted)')
  .argument('<scenario...>', 'scenario YAML files'))
  .option('-o, --reports <dir>', 'where reports/<scenario>/<run-id>/ go', 'reports')
  .option('--toxiproxy <server>', 'embedded (default), container (a real Toxiproxy via testcontainers; needs Docker) or a Toxiproxy API URL on this host (default: $TOXIPROXY_URL, else embedded)')
  .option('--no-progress', 'no progress line, even on a terminal')
  .option('--bin <duration>', "keep upstream arrivals in bins this wide (result.json series.upstreamFine, the report's herd chart), e.g. 10ms; default: the finest bin the SLOs name, else none", bin)
  .option('--variants [names]', "also run each scenario's variants (all, or those named: a,b), one after the other after the base; one table and a comparison page (exit 0 only if every run met its expectation)", variantNamesFlag)
  .option('--reporter <names>', REPORTER_HELP, reporter)
  .option('--baseline <path>', 'after the run, compare it with this run (result.json, run folder, or reports/<scenario> for its latest run); compare.json and compare.html go into the run folder; a regression exits 1 as a breached SLO does')
  .option('--confidence <level>', 'with --baseline: family-wise confidence of a "worse" verdict', confidence, DEFAULT_CONFIDENCE)
  .action(async (files: string[], o) => exit(await runCommand(files, o)));

scenarioOptions(program
  .command('suite')
  .description('run every scenario in a folder; broken twins (expect: fail) are expected to fail, so the suite passes when each scenario meets its expectation')
  .argument('[dir]', 'folder of scenario files', 'scenarios'))
  .option('-o, --reports <dir>', 'where reports go', 'reports')
  .option('--toxiproxy <server>', 'embedded (default), container (a real Toxiproxy via testcontainers; needs Docker) or a Toxiproxy API URL on this host (default: $TOXIPROXY_URL, else embedded)')
  .option('--no-progress', 'no progress line, even on a terminal')
  .option('--reporter <names>', `${REPORTER_HELP}; a suite also writes one junit.xml (reports/junit.xml, or junit=path) and with markdown one suite.md (or markdown=path)`, reporter)
  .action(async (dir: string, o) => exit(await suiteCommand(dir, o)));

scenarioOptions(program
  .command('validate')
  .description('check scenario files (and folders of them) as run would, without starting anything; print every error with file:line:column (exit 2 when any is invalid)')
  .argument('<scenario...>', 'scenario YAML files or folders of them'))
  .action(async (files: string[], o) => exit(await validateCommand(files, o)));

program
  .command('init')
  .description('write a starter scenario for your own service, commented line by line (refuses to overwrite)')
  .argument('[file]', 'where to write it (default chaos/<name>.yaml)')
  .option('-n, --name <name>', "scenario name (lower case, digits, dashes; default: the project's name)")
  .option('--command <command>', 'how to start your service (default node server.js)')
  .option('--url <url>', 'a service already running at this URL, instead of --command')
  .option('--provider <name=url>', 'an upstream your service calls, repeatable (default payments=http://127.0.0.1:12111)', collect, [])
  .action(async (file: string | undefined, o) => exit(await initCommand(file, o)));

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

simCommand(program);
compareCommand(program);
sweepCommand(program);
herdCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Usage errors (and --help, --version) end with their text flushed: 0 for help, 2 otherwise.
  if (err instanceof CommanderError) await exit(err.exitCode === 0 ? 0 : 2);
  throw err;
}
