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
      name: 'core-is-the-floor',
      severity: 'error',
      comment: 'src/core (clock, rng, units, distributions) is used by every layer and uses none of them.',
      from: { path: '^src/core/', pathNot: TESTS },
      to: { path: '^src/(?!core/)' },
    },
    {
      name: 'config-loading-is-generic',
      severity: 'error',
      comment: 'src/config (YAML + schema → positioned issues) knows no scenario, router or run.',
      from: { path: '^src/config/', pathNot: TESTS },
      to: { path: '^src/(?!core/|config/)' },
    },
    {
      name: 'slo-is-pure',
      severity: 'error',
      comment: 'The SLO language is a pure function of run data: it does not reach into I/O, the harness or the report.',
      from: { path: '^src/slo/', pathNot: TESTS },
      to: { path: '^src/(run|cli|load|providers|toxiproxy|router|faults|report)/|^src/(api|index|vitest)\\.ts$' },
    },
    {
      name: 'router-stands-alone',
      severity: 'error',
      comment: 'The reference router is a system under test like any other: it knows nothing of scenarios, runs, load, SLOs or reports.',
      from: { path: '^src/router/', pathNot: TESTS },
      to: { path: '^src/(scenario|run|load|slo|report|providers|faults|collect|cli)/|^src/(api|index|vitest)\\.ts$' },
    },
    {
      name: 'toxiproxy-stands-alone',
      severity: 'error',
      comment: 'The embedded Toxiproxy is interchangeable with the real one: it knows nothing of faultline above it.',
      from: { path: '^src/toxiproxy/', pathNot: TESTS },
      to: { path: '^src/(scenario|run|load|slo|report|providers|faults|collect|router|cli)/|^src/(api|index|vitest)\\.ts$' },
    },
    {
      name: 'run-is-the-orchestrator',
      severity: 'error',
      comment: 'Only the API, the CLI and the run itself may use src/run: the layers below it are what it orchestrates.',
      from: { path: '^src/(?!run/|cli/|api\\.ts$|index\\.ts$)', pathNot: TESTS },
      to: { path: '^src/run/' },
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
