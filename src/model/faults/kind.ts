/**
 * What a fault kind's definition holds, and the helpers every definition uses. One module per
 * kind (http/*.ts, network/*.ts) exports one definition; index.ts lists them. From the
 * definitions the scenario schema builds its fault union, the loader checks and normalises,
 * the planner resolves each fault to what its backend applies, and the provider stage
 * dispatches an HTTP fault to its action.
 *
 * A definition is typed by its normalised fault `F` (what `Scenario.faults` holds) and, for
 * HTTP kinds, its action `A` (what the provider stage applies); index.ts derives the
 * `FaultSpec`, `HttpFault`, `NetworkFault` and `HttpStageFault` unions from them.
 */
import Type from 'typebox';
import type { At, Path, Raw } from '../checks.ts';
import type { RequestMatch } from '../match.ts';
import { parsePercent } from '../../core/units.ts';
import { percent } from '../quantities.ts';
import { faultCommon, faultTiming, httpLayer, networkLayer, type FaultBasics, type FaultCommon, type RampParam } from './common.ts';
import type { FaultContext } from './http-stage.ts';

/** What a kind's checks may ask about the rest of the scenario. */
export interface CheckContext {
  /** Whether the provider of this name states a capacity (undefined: no such provider). */
  providerHasCapacity(name: string): boolean | undefined;
  /** The parameter the fault's ramp moves (explicit or read from its values), which can stand in for a field. */
  ramped: RampParam | undefined;
}

/** The parameters a fault can ramp, each with the field of the normalised fault it moves, in the order issues list them. */
export type RampFields = Partial<Record<RampParam, string>>;

interface KindBase<F extends FaultCommon & { layer: string; kind: string }, S extends Type.TSchema> {
  layer: F['layer'];
  kind: F['kind'];
  /** The kind's branch of the scenario file's fault union, with its description. */
  schema: S;
  /** How the fault union's description lists it; default: the kind. */
  listed?: string;
  /** The checks a JSON Schema cannot express, on a document that may have failed the schema (read only values of the right shape). */
  check?(f: Raw, base: Path, at: At, ctx: CheckContext): void;
  /** The file's shape → the model's: defaults, ms, fractions, `Distribution`s. */
  normalize(raw: Type.Static<S>, common: FaultBasics): F;
  /** What a ramp can move, from the fault as written or normalised (an outage's depends on its shape). */
  ramps: RampFields | ((f: Raw) => RampFields);
}

// ---------------------------------------------------------------------------------------
// HTTP kinds: applied by the provider stage (src/providers).

/** Which requests an HTTP fault hits: its route, request match and share. */
export interface RequestScope {
  name: string;
  /** `/v1/charges` exactly, or `/api/**` for a prefix; absent: every route. */
  route?: string;
  match?: RequestMatch;
  /** Share of matching requests the fault hits, in [0, 1]. */
  rate: number;
}

/** What an HTTP fault's action does with a request it hits: an answer, or undefined to let it through. */
export type HttpAct<A> = (f: RequestScope & A, request: Request, ctx: FaultContext) => Promise<Response | undefined>;

/**
 * An HTTP kind that acts on requests: the provider stage draws against `rate` among the
 * requests its route and match select (src/providers/http-faults.ts), then calls `act`.
 */
export interface RequestKind<F extends FaultCommon & { layer: 'http'; kind: string; rate: number }, A extends { kind: F['kind'] }, S extends Type.TSchema>
  extends KindBase<F, S> {
  layer: 'http';
  scope: 'request';
  /** The fault's action, as the planner sends it to the provider stage (the scope is added to it). */
  plan(f: F): A;
  act: HttpAct<A>;
}

/** An HTTP kind that acts on the whole endpoint rather than on requests (capacity): the provider chain applies its action itself. */
export interface EndpointKind<F extends FaultCommon & { layer: 'http'; kind: string }, A extends { kind: F['kind'] }, S extends Type.TSchema> extends KindBase<F, S> {
  layer: 'http';
  scope: 'endpoint';
  plan(f: F): A;
}

/** An HTTP kind's schema branch: the common fields, `layer: http`, the kind, the timeline, its own fields. */
export function httpFault<K extends string, P extends Record<string, Type.TSchema>>(kind: K, description: string, params: P) {
  return Type.Object(
    {
      ...faultCommon,
      layer: httpLayer(),
      kind: Type.Literal(kind, { description }),
      ...faultTiming,
      ...params,
    },
    { additionalProperties: false, description: `HTTP ${kind} fault: ${description}` },
  );
}

/** An HTTP fault that hits a share `rate` of the requests it selects. */
export interface HttpScoped extends FaultCommon {
  layer: 'http';
  /** Fraction of matching requests hit. */
  rate: number;
}

/** The share of requests a scoped HTTP fault hits: the file's percentage as a fraction, 100% when absent. */
export const rateOf = (rate: string | undefined): number => (rate === undefined ? 1 : parsePercent(rate));

/** `rate` in an HTTP kind's schema, with the kind's own words. */
export const rate = (description: string) => Type.Optional(percent(description));

// ---------------------------------------------------------------------------------------
// Network kinds: applied through Toxiproxy's API (src/faults/backends.ts).

/** The toxic types of Toxiproxy's API that faultline's network kinds use. */
export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';

/** A network toxic in Toxiproxy's own terms (units as its API takes them). */
export interface ToxicSpec {
  type: ToxicType;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

/** A toxic with the name it is added under: the fault's name, suffixed when a fault needs several. */
export type NamedToxic = ToxicSpec & { name: string };

/** What a network fault does to each of its proxies: disable it, or add toxics. */
export type NetworkAction = { kind: 'down' } | { kind: 'toxics'; toxics: NamedToxic[] };

export interface NetworkKind<F extends FaultCommon & { layer: 'network'; kind: string }, S extends Type.TSchema> extends KindBase<F, S> {
  layer: 'network';
  /** What switching the fault on does to each of its proxies. */
  plan(f: F): NetworkAction;
}

/** A network fault that is one toxic on a stream, for a share of connections. */
export interface NetworkCommon extends FaultCommon {
  layer: 'network';
  stream: 'upstream' | 'downstream';
  /** Fraction of connections the toxic applies to. */
  toxicity: number;
}

const networkCommonSchema = () => ({
  stream: Type.Optional(
    Type.Union([Type.Literal('upstream'), Type.Literal('downstream')], {
      description: 'Which direction the toxic acts on: downstream (responses, the default) or upstream (requests).',
    }),
  ),
  toxicity: Type.Optional(percent('Share of connections the toxic applies to. Default 100%.')),
});

/** A toxic kind's schema branch: the common fields, `layer: network`, the kind, the timeline, stream and toxicity, its own fields. */
export function networkFault<K extends string, P extends Record<string, Type.TSchema>>(kind: K, description: string, params: P) {
  return Type.Object(
    {
      ...faultCommon,
      layer: networkLayer(),
      kind: Type.Literal(kind, { description }),
      ...faultTiming,
      ...networkCommonSchema(),
      ...params,
    },
    { additionalProperties: false, description: `Network ${kind} fault: ${description}` },
  );
}

/** The normalised fields of a toxic kind: stream (default downstream) and toxicity (default 100%). */
export function networkBasics(raw: { stream?: 'upstream' | 'downstream'; toxicity?: string }, common: FaultBasics) {
  return { ...common, layer: 'network' as const, stream: raw.stream ?? 'downstream', toxicity: raw.toxicity === undefined ? 1 : parsePercent(raw.toxicity) };
}

/** A network kind that is one toxic named after the fault: its definition gives the toxic's type and attributes. */
export function toxicKind<F extends NetworkCommon & { kind: string }, S extends Type.TSchema>(
  def: Omit<NetworkKind<F, S>, 'layer' | 'plan'> & { toxic(f: F): Pick<ToxicSpec, 'type' | 'attributes'> },
): NetworkKind<F, S> & { toxic(f: F): ToxicSpec } {
  const toxic = (f: F): ToxicSpec => ({ stream: f.stream, toxicity: f.toxicity, ...def.toxic(f) });
  return { ...def, layer: 'network', toxic, plan: (f) => ({ kind: 'toxics', toxics: [{ name: f.name, ...toxic(f) }] }) };
}
