/**
 * faultline's embedded Toxiproxy: a server speaking Toxiproxy 2.x's HTTP API, so the harness
 * drives it, a real Toxiproxy or a testcontainers one through the same client.
 */
export { startToxiproxyServer, type ToxiproxyServer, type ToxiproxyServerOptions } from './server.ts';
export { TOXIPROXY_API_VERSION, TOXIPROXY_SERVER_VERSION } from './api.ts';
export { ApiError } from './api-error.ts';
export type { ToxiproxyLogger, ProxyJson } from './proxy.ts';
export type { ToxicJson } from './toxic-collection.ts';
export { TOXIC_KINDS } from './toxics/index.ts';
