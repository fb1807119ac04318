/**
 * What every fault kind shares: its target, its window and timeline (`ramp`, `repeat`,
 * `flap`), as schema fragments and as model types. A kind's own module
 * (src/model/faults/http/*, network/*) adds its fields to these.
 */
import Type from 'typebox';
import { RequestMatchSchema, type RequestMatch } from '../match.ts';
import { duration, MAX_COUNT, name, percent, route } from '../quantities.ts';

export interface FaultTarget {
  provider: string;
  /** Absent: every region of the provider. */
  region?: string;
  /** Absent: every route (HTTP faults). */
  route?: string;
  /** Absent: every request (HTTP faults). */
  match?: RequestMatch;
}

/** The parameters a ramp can move, as the file names them. */
export type RampParam = 'rate' | 'latency' | 'toxicity' | 'kbps';
export const RAMP_PARAMS: readonly RampParam[] = ['rate', 'latency', 'toxicity', 'kbps'];

/**
 * A ramp in model units: `rate` and `toxicity` as fractions, `latency` in ms, `kbps` in KB/s.
 * Step k of `steps` is applied `k × overMs / steps` after each switch-on, with the value
 * `from + (to − from) × k / steps`; step 0 is the switch-on itself.
 */
export interface RampSpec {
  param: RampParam;
  from: number;
  to: number;
  overMs: number;
  steps: number;
}

/** What every normalised fault has, whatever its kind. */
export interface FaultCommon {
  name: string;
  target: FaultTarget;
  /** When the fault switches on, ms from the start of load. */
  fromMs: number;
  /** When it switches off; the run's duration when the file does not say. */
  toMs: number;
  /** A parameter that moves while the fault is on; the fault's own field holds the start value (`ramp.from`). */
  ramp?: RampSpec;
  /** The window `fromMs`–`toMs` again every `everyMs`, `times` in all (resolved: never open-ended). */
  repeat?: { everyMs: number; times: number };
  /** Between `fromMs` and `toMs`: on for `downMs`, off for `upMs`, again and again (the last cycle cut at `toMs`). */
  flap?: { downMs: number; upMs: number };
}

/** What a kind's normalisation is given: the fields every fault has, already normalised (its timeline is added after, by src/scenario/timelines.ts). */
export type FaultBasics = Pick<FaultCommon, 'name' | 'target' | 'fromMs' | 'toMs'>;

// ---------------------------------------------------------------------------------------
// Schema fragments.

const FaultTargetSchema = Type.Object(
  {
    provider: Type.String({ minLength: 1, description: 'The provider this fault hits (a name from `providers`).' }),
    region: Type.Optional(Type.String({ minLength: 1, description: "One of the provider's regions; omit to hit all of them." })),
    route: Type.Optional(route('Only requests to this provider path (HTTP faults), e.g. /joke; omit for all routes.')),
    match: Type.Optional(RequestMatchSchema),
  },
  { additionalProperties: false, description: 'Where the fault applies.' },
);

/** The fields that name and aim a fault, first in every kind's schema. */
export const faultCommon = {
  name: name('Name of the fault, used by SLO windows and reports. Unique within the scenario.'),
  target: FaultTargetSchema,
};

/** A ramp's end point: its unit says which parameter moves (see `Ramp`). */
const RampValue = Type.Union(
  [
    percent('A share: `rate` (http faults) or `toxicity` (network faults).', false),
    duration('A latency.', false),
    Type.Number({ minimum: 0, maximum: MAX_COUNT, expected: 'a number of KB/s', description: 'A bandwidth in KB/s (`kbps`).' }),
  ],
  { expected: 'a percentage like 50%, a duration like 800ms, or a number of KB/s', description: 'A value of the ramped parameter.' },
);

const Ramp = Type.Object(
  {
    param: Type.Optional(
      Type.Union([Type.Literal('rate'), Type.Literal('latency'), Type.Literal('toxicity'), Type.Literal('kbps')], {
        description:
          "The parameter that moves: `rate` (http faults), or `toxicity`, `latency` (network latency, outage slow) or `kbps` (bandwidth, outage slow). Default: read from the values' unit — a percentage moves `rate` (http) or `toxicity` (network), a duration `latency`, a number `kbps`.",
      }),
    ),
    from: Type.Optional(RampValue),
    to: RampValue,
    over: Type.Optional(duration("How long the ramp takes, from the fault's switch-on; then the value stays at `to`. Default: the whole window.")),
    steps: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'How many updates after the switch-on, evenly spaced; the last reaches `to`. Default: one per second of `over`.' }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Moves one parameter from `from` (default: the value the fault states) to `to` while the fault is on, re-applying it at each step, e.g. `ramp: { from: 0%, to: 50%, over: 20s }` on an error rate. Each step is recorded in result.json.',
  },
);

const Repeat = Type.Object(
  {
    every: duration('Time between the starts of two occurrences; longer than the window from `from` to `to`.'),
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'How many occurrences, the first included. Default: as many as start before the run ends.' })),
  },
  {
    additionalProperties: false,
    description: 'Repeats the window `from`–`to`: `repeat: { every: 10s, times: 3 }` with from 5s, to 7s is on at 5–7 s, 15–17 s and 25–27 s.',
  },
);

const Flap = Type.Object(
  {
    down: duration('How long the fault is on in each cycle (the provider is down).'),
    up: duration('How long the fault is off in each cycle (the provider is back).'),
  },
  {
    additionalProperties: false,
    description: 'Switches the fault on and off between `from` and `to`: on for `down`, off for `up`, again and again; the last cycle is cut at `to`.',
  },
);

/** The window and timeline fields, after `layer` and `kind` in every kind's schema. */
export const faultTiming = {
  from: Type.Optional(duration('When the fault switches on, from the start of load. Default 0s.')),
  to: Type.Optional(duration('When the fault switches off, from the start of load. Default: the end of the run.')),
  ramp: Type.Optional(Ramp),
  repeat: Type.Optional(Repeat),
  flap: Type.Optional(Flap),
};

export const httpLayer = () => Type.Literal('http', { description: 'http: the fixture provider answers with the fault (status codes, latency, hangs, broken bodies, capacity).' });
export const networkLayer = () => Type.Literal('network', { description: 'network: a Toxiproxy toxic between the target and the provider.' });
