/**
 * The scenario file as a person writes it, as a TypeBox schema: one source for the loader's
 * validation (Ajv), the raw TypeScript type (`ScenarioFile`) and the editor help in
 * scenarios/schema.json. Every field carries a description; quantities carry `expected`,
 * the phrase an issue uses instead of a regular expression.
 *
 * Normalisation (units, defaults, absolute paths) is not here: see model.ts and load.ts.
 */
import Type from 'typebox';
import { DURATION_PATTERN, PERCENT_PATTERN, RATE_PATTERN } from '../core/units.ts';

/** Names used as identifiers and folder names: lower case, digits, dashes. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9-]*$';

// Durations and percentages are strings with a unit only: a bare `2` could be seconds or
// milliseconds, a bare `0.3` a fraction or a percent. Rates accept a bare number (per second),
// which is how everyone reads one.
const duration = (description: string) =>
  Type.String({ pattern: DURATION_PATTERN, expected: 'a duration like 250ms or 30s', description });
const percent = (description: string) =>
  Type.String({ pattern: PERCENT_PATTERN, expected: 'a percentage like 30%', description });
const name = (description: string) =>
  Type.String({ pattern: NAME_PATTERN, expected: 'lower-case letters, digits and dashes, like joke-5xx', description });
const route = (description: string) =>
  Type.String({ pattern: '^/', expected: 'a path starting with /', description });

const Rate = Type.Union(
  [
    Type.Number({ exclusiveMinimum: 0, description: 'Requests per second.' }),
    Type.String({ pattern: RATE_PATTERN, expected: 'a rate like 50/s or 600/m', description: 'Requests per unit of time, like 50/s or 600/m.' }),
  ],
  { description: 'Target arrival rate (open model): a number per second, or "50/s", "600/m", "3000/h".' },
);

const Target = Type.Union(
  [
    Type.Object(
      {
        router: Type.String({
          minLength: 1,
          description: "Path to a config of faultline's reference router, relative to this scenario file. faultline starts the router with it.",
        }),
      },
      { additionalProperties: false, expected: '`router: <config path>`', description: "Run faultline's reference router with this config." },
    ),
    Type.Object(
      {
        url: Type.String({
          pattern: '^https?://',
          expected: 'an http:// or https:// URL',
          description: 'Base URL of a service you run yourself, e.g. http://127.0.0.1:8080.',
        }),
      },
      { additionalProperties: false, expected: '`url: <http URL>`', description: 'Drive load at a service you run yourself.' },
    ),
  ],
  { description: 'The system under test: exactly one of `router` (the reference router with a config) or `url` (your own service).' },
);

const Provider = Type.Object(
  {
    name: name('The name router configs and faults use for this provider. Unique within the scenario.'),
    fixture: Type.String({ minLength: 1, description: 'Which fixture from the catalogue serves this provider (e.g. joke, weather, stripe).' }),
    regions: Type.Optional(
      Type.Array(name('A region name, e.g. us or eu.'), {
        minItems: 1,
        description: 'Region names; each region is a separate endpoint. Omit for one endpoint without a region.',
      }),
    ),
  },
  { additionalProperties: false, description: 'A fixture provider faultline starts for the run.' },
);

const Method = Type.Union(
  [
    Type.Literal('GET'),
    Type.Literal('POST'),
    Type.Literal('PUT'),
    Type.Literal('PATCH'),
    Type.Literal('DELETE'),
    Type.Literal('HEAD'),
    Type.Literal('OPTIONS'),
  ],
  { description: 'HTTP method. Default GET.' },
);

const RequestSpec = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, description: 'Name of this request in reports and SLOs. Default "METHOD path".' })),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Relative share of this request in the mix. Default 1.' })),
    method: Type.Optional(Method),
    path: route('Request path on the target, starting with /, e.g. /joke or /pay?region=eu.'),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String({ description: 'Header value.' }), { description: 'Request headers, name → value.' }),
    ),
    body: Type.Optional(
      Type.Union(
        [
          Type.String({ description: 'Sent as is (text/plain unless a content-type header says otherwise).' }),
          Type.Record(Type.String(), Type.Unknown(), { description: 'Sent as JSON.' }),
          Type.Array(Type.Unknown(), { description: 'Sent as JSON.' }),
        ],
        { description: 'Request body: a string, or a mapping or list sent as JSON.' },
      ),
    ),
  },
  { additionalProperties: false, description: 'One kind of request in the load mix.' },
);

const loadCommon = {
  duration: duration('How long load runs, e.g. 20s or 2m.'),
  timeout: Type.Optional(duration('Client timeout per request. Default 5s.')),
  requests: Type.Array(RequestSpec, { minItems: 1, description: 'The weighted request mix; at least one.' }),
};

const OpenLoad = Type.Object(
  {
    model: Type.Optional(Type.Literal('open', { description: 'Open model: requests arrive at a fixed rate whether or not earlier ones have answered (the default).' })),
    rate: Rate,
    arrival: Type.Optional(
      Type.Union([Type.Literal('uniform'), Type.Literal('poisson')], {
        description: 'How arrivals are spaced: uniform (evenly) or poisson (random, exponential gaps). Default uniform.',
      }),
    ),
    ...loadCommon,
  },
  { additionalProperties: false, description: 'Open-model load: a target arrival rate.' },
);

const ClosedLoad = Type.Object(
  {
    model: Type.Literal('closed', { description: 'Closed model: a fixed number of connections, each sending its next request when the previous one answers.' }),
    connections: Type.Integer({ minimum: 1, description: 'Concurrent connections, each with one request in flight.' }),
    ...loadCommon,
  },
  { additionalProperties: false, description: 'Closed-model load: a fixed number of connections.' },
);

const Load = Type.Union([OpenLoad, ClosedLoad], {
  description: 'How load is driven at the target: `model: open` (default) with a `rate`, or `model: closed` with `connections`.',
});

const FaultTarget = Type.Object(
  {
    provider: Type.String({ minLength: 1, description: 'The provider this fault hits (a name from `providers`).' }),
    region: Type.Optional(Type.String({ minLength: 1, description: "One of the provider's regions; omit to hit all of them." })),
    route: Type.Optional(route('Only requests to this provider path (HTTP faults), e.g. /joke; omit for all routes.')),
  },
  { additionalProperties: false, description: 'Where the fault applies.' },
);

const faultCommon = {
  name: name('Name of the fault, used by SLO windows and reports. Unique within the scenario.'),
  target: FaultTarget,
};
const faultTiming = {
  from: Type.Optional(duration('When the fault switches on, from the start of load. Default 0s.')),
  to: Type.Optional(duration('When the fault switches off, from the start of load. Default: the end of the run.')),
};
const networkCommon = {
  stream: Type.Optional(
    Type.Union([Type.Literal('upstream'), Type.Literal('downstream')], {
      description: 'Which direction the toxic acts on: downstream (responses, the default) or upstream (requests).',
    }),
  ),
  toxicity: Type.Optional(percent('Share of connections the toxic applies to. Default 100%.')),
};

function httpFault<K extends string, P extends Record<string, Type.TSchema>>(kind: K, description: string, params: P) {
  return Type.Object(
    {
      ...faultCommon,
      layer: Type.Literal('http', { description: 'http: the fixture provider answers with the fault (status codes, latency).' }),
      kind: Type.Literal(kind, { description }),
      ...faultTiming,
      ...params,
    },
    { additionalProperties: false, description: `HTTP ${kind} fault: ${description}` },
  );
}

function networkFault<K extends string, P extends Record<string, Type.TSchema>>(kind: K, description: string, params: P) {
  return Type.Object(
    {
      ...faultCommon,
      layer: Type.Literal('network', { description: 'network: a Toxiproxy toxic between the target and the provider.' }),
      kind: Type.Literal(kind, { description }),
      ...faultTiming,
      ...networkCommon,
      ...params,
    },
    { additionalProperties: false, description: `Network ${kind} fault: ${description}` },
  );
}

const jitter = Type.Optional(duration('Uniform jitter: each delay is latency ± jitter. Default 0ms.'));

const Fault = Type.Union(
  [
    httpFault('error', 'answer with an error status instead of the real response.', {
      rate: Type.Optional(percent('Share of requests that fail. Default 100%.')),
      status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, expected: 'an HTTP status from 400 to 599', description: 'The status to answer with. Default 503.' })),
      retryAfter: Type.Optional(duration('Retry-After header to send (status 429 or 503 only).')),
    }),
    httpFault('latency', 'delay the response.', {
      latency: duration('Added delay, e.g. 800ms.'),
      jitter,
      rate: Type.Optional(percent('Share of requests delayed. Default 100%.')),
    }),
    networkFault('latency', 'delay the data on the connection.', {
      latency: duration('Added delay, e.g. 800ms.'),
      jitter,
    }),
    networkFault('down', 'the proxy refuses connections (provider unreachable).', {}),
    networkFault('timeout', 'stop all data and close the connection after a timeout (0 = hold it forever).', {
      timeout: Type.Optional(duration('How long until the connection is closed; 0ms holds it open forever. Default 0ms.')),
    }),
    networkFault('reset_peer', 'reset the connection (TCP RST) after a timeout.', {
      timeout: Type.Optional(duration('How long until the reset. Default 0ms (at once).')),
    }),
    networkFault('bandwidth', 'limit the connection to a rate.', {
      kbps: Type.Number({ minimum: 0, expected: 'a number of KB/s ≥ 0', description: 'Rate limit in KB per second (Toxiproxy bandwidth `rate`).' }),
    }),
    networkFault('slow_close', 'delay the connection close.', {
      delay: duration('How long the close is delayed.'),
    }),
    networkFault('slicer', 'slice the data into small packets with delays between them.', {
      averageSize: Type.Integer({ minimum: 1, description: 'Average packet size in bytes.' }),
      sizeVariation: Type.Optional(Type.Integer({ minimum: 0, description: 'Variation of the packet size in bytes (less than averageSize). Default 0.' })),
      delay: Type.Optional(duration('Delay between packets. Default 0ms.')),
    }),
    networkFault('limit_data', 'close the connection after a number of bytes.', {
      bytes: Type.Integer({ minimum: 0, description: 'Bytes let through before the connection is closed.' }),
    }),
  ],
  {
    description:
      'A fault injected for a time window. `layer: http` kinds: error, latency. `layer: network` kinds: latency, down, timeout, reset_peer, bandwidth, slow_close, slicer, limit_data.',
  },
);

const Window = Type.Union(
  [
    Type.Literal('run', { description: 'The whole run.' }),
    Type.Object(
      { during: Type.String({ minLength: 1, description: 'Name of the fault whose window this is.' }) },
      { additionalProperties: false, description: 'While the named fault is on.' },
    ),
    Type.Object(
      {
        recovery: Type.String({ minLength: 1, description: 'Name of the fault after which recovery is measured.' }),
        for: Type.Optional(duration('How long after the fault ends. Default: to the end of the run.')),
      },
      { additionalProperties: false, description: 'After the named fault switches off.' },
    ),
  ],
  { description: 'Where the SLO must hold: `run` (default), `{during: <fault>}`, or `{recovery: <fault>, for: 10s}`.' },
);

const Slo = Type.Object(
  {
    // Read by people only (reports, JUnit test names), so any words will do.
    name: Type.String({ minLength: 1, description: 'Name of the SLO in reports, e.g. "availability during the outage". Unique within the scenario.' }),
    expr: Type.String({ minLength: 1, description: 'The SLO, e.g. `availability >= 99%` or `p99(latency) < 400ms`.' }),
    window: Type.Optional(Window),
  },
  { additionalProperties: false, description: 'A resilience SLO the run is judged on.' },
);

/** The scenario file's schema. */
export const ScenarioSchema = Type.Object(
  {
    name: name('Scenario name; also the folder name under reports/. A broken twin is e.g. joke-api-flaky-broken.'),
    description: Type.Optional(Type.String({ description: 'What the scenario shows, in a sentence or two.' })),
    seed: Type.Optional(Type.Integer({ description: 'Seed for every random choice (arrivals, jitter, error draws). Default 1.' })),
    expect: Type.Optional(
      Type.Union([Type.Literal('pass'), Type.Literal('fail')], {
        description: 'The verdict this scenario should get: a broken twin expects fail. Default pass.',
      }),
    ),
    target: Target,
    providers: Type.Array(Provider, { minItems: 1, description: 'Fixture providers to start; at least one.' }),
    load: Load,
    faults: Type.Optional(Type.Array(Fault, { description: 'Faults and when they are on. Default none.' })),
    slos: Type.Array(Slo, { minItems: 1, description: 'The SLOs the run is judged on; at least one.' }),
  },
  {
    additionalProperties: false,
    title: 'faultline scenario',
    description: 'A faultline scenario: a system under test, fixture providers, load, faults over time, and the SLOs that must hold.',
  },
);

/** A scenario file as written, after schema validation (before defaults and units). */
export type ScenarioFile = Type.Static<typeof ScenarioSchema>;
