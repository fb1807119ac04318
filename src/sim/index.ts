/**
 * The simulator's front door: a scenario in virtual time (`simulateScenario`), with the
 * reference router's own code, modelled providers and network, and the live fault timeline.
 * Only the API (src/api.ts, src/index.ts) and the CLI import it.
 */
export { DEFAULT_PROVIDER_OVERHEAD, SIM_EPOCH, simRunId, simulateScenario } from './simulate.ts';
export { fineBins } from '../collect/series.ts';
export type { SimOptions, SimOutcome } from './simulate.ts';
export { SimUnsupportedError, MODELLED_HTTP_KINDS, MODELLED_NETWORK_KINDS, unsupportedParts } from './unsupported.ts';
export { DEFAULT_NETWORK, MODELLED_TOXICS } from './network.ts';
export type { NetworkModel } from './network.ts';
export { SimClock } from './engine.ts';
