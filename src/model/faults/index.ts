/**
 * The fault kinds: one definition per kind (http/*.ts, network/*.ts), listed once here. The
 * scenario schema's fault union and its description, the loader's checks and
 * normalisation, the timeline's rampable fields, the planner's step and the provider
 * stage's dispatch all read this list, and the fault types are derived from it, so a
 * `switch` over `kind` stays exhaustive.
 *
 * Adding a kind: a module beside the others exporting its definition (kind.ts says what it
 * holds), and one line in `FAULT_KINDS`. The order is the schema union's order.
 */
import type { TSchema } from 'typebox';
import type { At, Path, Raw } from '../checks.ts';
import { rec } from '../checks.ts';
import { checkMatch } from '../match.ts';
import type { FaultBasics, RampParam } from './common.ts';
import type { HttpAct, NetworkAction, RampFields, RequestScope } from './kind.ts';
import type { CheckContext } from './kind.ts';
import { capacity } from './http/capacity.ts';
import { contentType } from './http/content-type.ts';
import { error } from './http/error.ts';
import { hang } from './http/hang.ts';
import { latency as httpLatency } from './http/latency.ts';
import { malformed } from './http/malformed.ts';
import { slowBody } from './http/slow-body.ts';
import { slowHeaders } from './http/slow-headers.ts';
import { truncate } from './http/truncate.ts';
import { reset } from './http/reset.ts';
import { bandwidth } from './network/bandwidth.ts';
import { down } from './network/down.ts';
import { latency as networkLatency } from './network/latency.ts';
import { limitData } from './network/limit-data.ts';
import { outage } from './network/outage.ts';
import { resetPeer } from './network/reset-peer.ts';
import { slicer } from './network/slicer.ts';
import { slowClose } from './network/slow-close.ts';
import { timeout } from './network/timeout.ts';

export const FAULT_KINDS = [
  error,
  httpLatency,
  networkLatency,
  down,
  timeout,
  resetPeer,
  bandwidth,
  slowClose,
  slicer,
  limitData,
  outage,
  hang,
  truncate,
  reset,
  malformed,
  contentType,
  slowHeaders,
  slowBody,
  capacity,
] as const;

type Definition = (typeof FAULT_KINDS)[number];
type FaultOf<D> = D extends { normalize(raw: never, common: FaultBasics): infer F } ? F : never;

/** A normalised fault, as `Scenario.faults` holds it: discriminated on `layer` and `kind`. */
export type FaultSpec = FaultOf<Definition>;
export type HttpFault = Extract<FaultSpec, { layer: 'http' }>;
export type NetworkFault = Extract<FaultSpec, { layer: 'network' }>;
export type FaultKindName = FaultSpec['kind'];

type HttpDefinition = Extract<Definition, { layer: 'http' }>;
type StageOf<D> = D extends { scope: 'request'; plan(f: never): infer A }
  ? RequestScope & A
  : D extends { scope: 'endpoint'; plan(f: never): infer A }
    ? { name: string } & A
    : never;

/** An HTTP fault as the provider stage applies it: its action, with its scope (route, match, rate) for the kinds that act on requests. */
export type HttpStageFault = StageOf<HttpDefinition>;
/** The HTTP faults that act on requests: the provider stage scopes them and calls their action. */
export type ScopedHttpFault = StageOf<Extract<HttpDefinition, { scope: 'request' }>>;
/** The HTTP faults that act on the whole endpoint: the provider chain applies them itself (capacity). */
export type EndpointHttpFault = StageOf<Extract<HttpDefinition, { scope: 'endpoint' }>>;

/** What switching a fault on applies (and what each ramp step re-applies), by layer. */
export type FaultAction = { layer: 'http'; http: HttpStageFault } | { layer: 'network'; network: NetworkAction };

/** The file's fault as written (the scenario schema's union of the kinds' branches). */
type RawFault = { layer: string; kind: string } & Raw;

/** Loose views of a definition, for code that takes any kind. */
interface AnyDefinition {
  layer: 'http' | 'network';
  kind: string;
  scope?: 'request' | 'endpoint';
  listed?: string;
  check?(f: Raw, base: Path, at: At, ctx: CheckContext): void;
  normalize(raw: unknown, common: FaultBasics): FaultSpec;
  ramps: RampFields | ((f: Raw) => RampFields);
  plan(f: FaultSpec): unknown;
  act?: HttpAct<unknown>;
}

const BY_KEY = new Map<string, AnyDefinition>((FAULT_KINDS as readonly unknown[] as AnyDefinition[]).map((d) => [`${d.layer}:${d.kind}`, d]));

/** The definition of a layer's kind; undefined for a pair the schema does not know. */
function definitionOf(layer: unknown, kind: unknown): AnyDefinition | undefined {
  return typeof layer === 'string' && typeof kind === 'string' ? BY_KEY.get(`${layer}:${kind}`) : undefined;
}

function known(f: { layer: string; kind: string }): AnyDefinition {
  const d = definitionOf(f.layer, f.kind);
  if (!d) throw new Error(`unknown fault kind ${f.layer} ${f.kind}`);
  return d;
}

/** The schema branches, in order, for the scenario schema's fault union. */
export const faultSchemas = (): Schemas<typeof FAULT_KINDS> => FAULT_KINDS.map((d) => d.schema) as unknown as Schemas<typeof FAULT_KINDS>;
type Schemas<T extends readonly unknown[]> = { -readonly [I in keyof T]: T[I] extends { schema: infer S extends TSchema } ? S : never };

/** The kinds of a layer as the fault union's description lists them. */
export function listedKinds(layer: 'http' | 'network'): string[] {
  return (FAULT_KINDS as readonly unknown[] as AnyDefinition[]).filter((d) => d.layer === layer).map((d) => d.listed ?? d.kind);
}

/**
 * One fault's checks a JSON Schema cannot express, on a document that may have failed the
 * schema: an HTTP fault's request match, then its kind's own (its target, window and
 * timeline are the loader's and timelines.ts's).
 */
export function checkFault(f: Raw, base: Path, at: At, ctx: CheckContext): void {
  if (f.layer === 'http') checkMatch(rec(f.target)?.match, [...base, 'target', 'match'], at);
  definitionOf(f.layer, f.kind)?.check?.(f, base, at, ctx);
}

/** A valid fault as written → the model's, its timeline aside (src/scenario/timelines.ts adds it). */
export function normalizeFault(raw: RawFault, common: FaultBasics): FaultSpec {
  return known(raw).normalize(raw, common);
}

/** The parameters a fault (as written, or normalised) can ramp, each with the normalised field it moves; none for an unknown kind. */
export function rampFields(f: Raw): RampFields {
  const d = definitionOf(f.layer, f.kind);
  if (!d) return {};
  return typeof d.ramps === 'function' ? d.ramps(f) : d.ramps;
}

/** The normalised field a ramp of `param` moves on this fault. */
export function rampField(f: FaultSpec, param: RampParam): string {
  const field = rampFields(f as unknown as Raw)[param];
  if (field === undefined) throw new Error(`${f.layer} ${f.kind} ${f.name} cannot ramp ${param}`);
  return field;
}

/** An HTTP fault as the provider stage applies it: its scope (route, request match, rate) and its action, durations in ms. */
export function planHttp(f: HttpFault): HttpStageFault {
  const d = known(f);
  if (d.scope === 'endpoint') return { name: f.name, ...(d.plan(f) as object) } as HttpStageFault;
  const scoped = f as Extract<HttpFault, { rate: number }>;
  const scope: RequestScope = {
    name: f.name,
    rate: scoped.rate,
    ...(f.target.route !== undefined && { route: f.target.route }),
    ...(f.target.match !== undefined && { match: f.target.match }),
  };
  return { ...scope, ...(d.plan(f) as object) } as HttpStageFault;
}

/** What a network fault does to each of its proxies. */
export function planNetwork(f: NetworkFault): NetworkAction {
  return known(f).plan(f) as NetworkAction;
}

/** What switching a fault on applies, by layer. */
export function planAction(f: FaultSpec): FaultAction {
  return f.layer === 'http' ? { layer: 'http', http: planHttp(f) } : { layer: 'network', network: planNetwork(f) };
}

/** The action of a fault that acts on requests, for the provider stage to call. */
export function httpAct(f: ScopedHttpFault): HttpAct<unknown> {
  const act = definitionOf('http', f.kind)?.act;
  if (!act) throw new Error(`http ${f.kind} does not act on requests`);
  return act;
}

/** Whether an HTTP stage fault acts on requests (scoped) rather than on the whole endpoint. */
export function actsOnRequests(f: HttpStageFault): f is ScopedHttpFault {
  return definitionOf('http', f.kind)?.scope === 'request';
}

/** A capacity fault as the provider chain applies it to the endpoint's queue. */
export type CapacityFault = Extract<HttpStageFault, { kind: 'capacity' }>;
