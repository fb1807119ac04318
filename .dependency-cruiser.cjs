/**
 * faultline's import rules, checked by test/architecture.test.ts (so a wrong arrow fails
 * `npm test` with the rule's name and comment) and by `npx depcruise src`.
 * ARCHITECTURE.md explains the layers they keep apart.
 *
 * The rules state the intended architecture. Imports that break them today are listed in
 * .dependency-cruiser-known-violations.json (regenerate it only to shrink it:
 * `npx depcruise src --output-type baseline > .dependency-cruiser-known-violations.json`);
 * a new one fails.
 */
/** Tests may reach across layers for their set-up; the layer rules are about shipped code. */
const TESTS = '\\.test\\.ts$';
const PRODUCTION = '^src/(?!.*(\\.test\\.ts$|/testing\\.ts$))';
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: the modules in it cannot be read, tested or moved one at a time.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      scope: 'folder',
      comment: 'Two folders that import each other are one layer in two places: neither can be understood, tested or moved without the other.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-the-floor',
      severity: 'error',
      comment: 'src/core (clock, rng, units, distributions) is used by every layer and uses none of them.',
      from: { path: '^src/core/', pathNot: TESTS },
      to: { path: '^src/(?!core/)' },
    },
    {
      name: 'model-is-the-ground-floor',
      severity: 'error',
      comment: 'src/model holds the data every layer shares (the scenario, the fault kinds, run records, results and verdicts): it rests on src/core alone, so no layer reaches another through a type.',
      from: { path: '^src/model/', pathNot: TESTS },
      to: { path: '^src/(?!core/|model/)' },
    },
    {
      name: 'config-loading-is-generic',
      severity: 'error',
      comment: 'src/config (YAML + schema → positioned issues) knows no scenario, router or run.',
      from: { path: '^src/config/', pathNot: TESTS },
      to: { path: '^src/(?!core/|config/)' },
    },
    {
      name: 'parts-meet-in-the-model',
      severity: 'error',
      comment:
        'The SLO evaluator, the fault planner, the provider stage, the load drivers, the collector, the reporters and the baseline comparison depend on the data model and core only, never on each other, the scenario loader or the harness: each is read, tested and reused (by the run, the simulator) alone.',
      from: { path: '^src/(slo|faults|providers|load|collect|report|compare)/', pathNot: TESTS },
      to: { path: '^src/', pathNot: '^src/($1|core|model)/' },
    },
    {
      name: 'result-judges-the-data',
      severity: 'error',
      comment: 'src/result turns what a run measured into its result (SLO verdicts, summaries, series, warnings): a pure function of the data, the same for a live run and a simulated one.',
      from: { path: '^src/result/', pathNot: TESTS },
      to: { path: '^src/', pathNot: '^src/(result|core|model|slo|collect)/' },
    },
    {
      name: 'router-stands-alone',
      severity: 'error',
      comment: 'The reference router is a system under test like any other: it knows nothing of scenarios, runs, load, SLOs or reports (it uses core and the generic config loading only).',
      from: { path: '^src/router/', pathNot: TESTS },
      to: { path: '^src/', pathNot: '^src/(router|core|config)/' },
    },
    {
      name: 'toxiproxy-stands-alone',
      severity: 'error',
      comment: 'The embedded Toxiproxy is interchangeable with the real one: it knows nothing of faultline above it.',
      from: { path: '^src/toxiproxy/', pathNot: TESTS },
      to: { path: '^src/', pathNot: '^src/(toxiproxy|core)/' },
    },
    {
      name: 'scenario-loads-and-checks',
      severity: 'error',
      comment:
        'src/scenario turns a file into the model and checks it against what it names (a router config, SLO metrics, fixture providers, addresses); it does not plan, run, load, collect or report.',
      from: { path: '^src/scenario/', pathNot: TESTS },
      to: { path: '^src/(run|faults|load|collect|report|result|cli)/|^src/(api|index|vitest)\\.ts$' },
    },
    {
      name: 'router-through-its-front-door',
      severity: 'error',
      comment: 'Outside src/router, the router is used through src/router/index.ts: what it offers the harness is listed in one place, and its inside can move freely.',
      from: { path: '^src/(?!router/)', pathNot: TESTS },
      to: { path: '^src/router/(?!index\\.ts$)' },
    },
    {
      name: 'slo-through-its-front-door',
      severity: 'error',
      comment: 'Outside src/slo, the SLO language is used through src/slo/index.ts: its grammar, checker and evaluator stay free to move.',
      from: { path: '^src/(?!slo/)', pathNot: TESTS },
      to: { path: '^src/slo/(?!index\\.ts$)' },
    },
    {
      name: 'run-is-the-orchestrator',
      severity: 'error',
      comment: 'Only the API, the CLI, the sweep (which runs points live through it) and the run itself may use src/run: the layers below it are what it orchestrates.',
      from: { path: '^src/(?!run/|sweep/|cli/|api\\.ts$|index\\.ts$)', pathNot: TESTS },
      to: { path: '^src/run/' },
    },
    {
      name: 'sim-is-an-orchestrator',
      severity: 'error',
      comment:
        'src/sim runs a scenario in virtual time as src/run runs it live, composing the layers below it: only the API, the CLI, the sweep and the simulator itself may use it (and, as an orchestrator, it may not use src/run, the API or the CLI: the rules for those forbid it).',
      from: { path: '^src/(?!sim/|sweep/|cli/|api\\.ts$|index\\.ts$)', pathNot: TESTS },
      to: { path: '^src/sim/' },
    },
    {
      name: 'sweep-is-an-orchestrator',
      severity: 'error',
      comment:
        'src/sweep runs many points through src/sim (worker threads) and src/run (live, --confirm): an orchestrator above both, so only the API, the CLI and the sweep itself may use it (it may not use the API or the CLI: the rules for those forbid it).',
      from: { path: '^src/(?!sweep/|cli/|api\\.ts$|index\\.ts$)', pathNot: TESTS },
      to: { path: '^src/sweep/' },
    },
    {
      name: 'cli-is-the-shell',
      severity: 'error',
      comment: 'The CLI is a thin shell on top: nothing below it imports it.',
      from: { path: '^src/(?!cli/)', pathNot: TESTS },
      to: { path: '^src/cli/' },
    },
    {
      name: 'api-is-the-front-door',
      severity: 'error',
      comment: 'src/api.ts is the top of the library: only the CLI, the package entry points and tests use it.',
      from: { path: '^src/(?!cli/|index\\.ts$|vitest\\.ts$|api\\.test\\.ts$)', pathNot: TESTS },
      to: { path: '^src/api\\.ts$' },
    },
    {
      name: 'production-not-on-tests',
      severity: 'error',
      comment: 'Shipped code must not import tests, test helpers (testing.ts) or test data.',
      from: { path: PRODUCTION },
      to: { path: '\\.test\\.ts$|/testing\\.ts$|^test/' },
    },
    {
      name: 'production-not-on-dev-dependencies',
      severity: 'error',
      comment: 'A user install has no devDependencies: shipped code may use only dependencies (vitest and testcontainers are optional peers, loaded where they are needed).',
      from: { path: PRODUCTION, pathNot: '^src/vitest\\.ts$|^src/toxiproxy/container\\.ts$' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
