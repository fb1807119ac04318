/**
 * The scenario file as a person writes it, as a TypeBox schema: one source for the loader's
 * validation (Ajv), the raw TypeScript type (`ScenarioFile`) and the editor help in
 * scenarios/schema.json. Every field carries a description; quantities carry `expected`,
 * the phrase an issue uses instead of a regular expression.
 *
 * Normalisation (units, defaults, absolute paths) is not here: see model.ts and load.ts.
 */
import Type from 'typebox';
import { DURATION_PATTERN, MAX_RATE_PER_S, PERCENT_PATTERN, RATE_PATTERN } from '../core/units.ts';

/** Names used as identifiers and folder names: lower case, digits, dashes. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/** A name's longest: a folder name (255 bytes on every common file system) with room for the run id beside it. */
export const MAX_NAME_LENGTH = 100;
/** The largest count faultline takes (bytes, packet sizes, queue places): a 32-bit signed integer. */
export const MAX_COUNT = 2 ** 31 - 1;
/** Connections of the closed model, and slots of a provider: each is real work of this process. */
export const MAX_CONNECTIONS = 10_000;

// Durations and percentages are strings with a unit only: a bare `2` could be seconds or
// milliseconds, a bare `0.3` a fraction or a percent. Rates accept a bare number (per second),
// which is how everyone reads one.
// `quantity` bounds the value (units.ts); a ramp's ends, a union of units, are bounded in timelines.ts instead.
const duration = (description: string, bounded = true) =>
  Type.String({ pattern: DURATION_PATTERN, ...(bounded && { quantity: 'duration' }), expected: 'a duration like 250ms or 30s', description });
const percent = (description: string, bounded = true) =>
  Type.String({ pattern: PERCENT_PATTERN, ...(bounded && { quantity: 'percent' }), expected: 'a percentage like 30%', description });
const name = (description: string) =>
  Type.String({ pattern: NAME_PATTERN, maxLength: MAX_NAME_LENGTH, expected: 'lower-case letters, digits and dashes, like joke-5xx', description });
const route = (description: string) =>
  Type.String({ pattern: '^/', expected: 'a path starting with /', description });

const Rate = Type.Union(
  [
    Type.Number({ exclusiveMinimum: 0, maximum: MAX_RATE_PER_S, description: 'Requests per second.' }),
    Type.String({ pattern: RATE_PATTERN, quantity: 'rate', expected: 'a rate like 50/s or 600/m', description: 'Requests per unit of time, like 50/s or 600/m.' }),
  ],
  { description: 'Target arrival rate (open model): a number per second, or "50/s", "600/m", "3000/h".' },
);

/**
 * A delay: a duration (fixed), or a distribution with its parameters. Shared by the latency,
 * slow_headers and slow_body faults and by a provider's service time, so each reads the same.
 */
const distribution = <K extends string, P extends Record<string, Type.TSchema>>(kind: K, description: string, params: P) =>
  Type.Object(
    { distribution: Type.Literal(kind, { description }), ...params },
    { additionalProperties: false, description: `A ${kind} distribution: ${description}` },
  );

const Delay = (description: string) =>
  Type.Union(
    [
      duration('A fixed delay, e.g. 800ms.'),
      distribution('fixed', 'always the same delay.', { value: duration('The delay, e.g. 20ms.') }),
      distribution('uniform', 'any delay from min to max, equally likely.', {
        min: duration('The shortest delay, e.g. 10ms.'),
        max: duration('The longest delay, e.g. 50ms (at least min).'),
      }),
      distribution('normal', 'a bell curve around the mean, cut off at 0.', {
        mean: duration('The mean, e.g. 100ms.'),
        stddev: duration('The standard deviation, e.g. 20ms.'),
      }),
      distribution('lognormal', 'skewed to the right, as real latency is; given by its median and 99th percentile.', {
        p50: duration('The median, e.g. 20ms (above 0).'),
        p99: duration('The 99th percentile, e.g. 120ms (above p50).'),
      }),
      distribution('pareto', 'a heavy tail: most delays near scale, a few very long ones.', {
        scale: duration('The minimum delay x_m, e.g. 10ms (above 0).'),
        shape: Type.Number({ exclusiveMinimum: 0, maximum: 1000, expected: 'a number above 0, like 1.5', description: 'The shape α: smaller is heavier-tailed (α ≤ 1 has no finite mean; give a cap).' }),
        cap: Type.Optional(duration('The longest delay; longer draws are cut to it, e.g. 10s.')),
      }),
      distribution('exponential', 'memoryless, the service time of an M/M/c queue.', {
        mean: duration('The mean, e.g. 20ms.'),
      }),
    ],
    {
      expected: 'a duration like 800ms, or a distribution like { distribution: lognormal, p50: 20ms, p99: 120ms }',
      description: `${description} A duration, or \`{ distribution: fixed | uniform | normal | lognormal | pareto | exponential, ... }\` with that distribution's parameters.`,
    },
  );

const Capacity = Type.Object(
  {
    concurrency: Type.Integer({ minimum: 1, maximum: MAX_COUNT, description: 'Requests the provider serves at once.' }),
    queue: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Requests that may wait for a free slot, first come first served; beyond it they get 503 at once. Default: no limit.' }),
    ),
    serviceTime: Delay('How long each request holds a slot, e.g. { distribution: lognormal, p50: 20ms, p99: 120ms }.'),
  },
  {
    additionalProperties: false,
    description:
      'The provider serves at most `concurrency` requests at once, each for a `serviceTime`; the rest wait in a queue of `queue`, and beyond it get 503 at once. Latency grows under overload, as a real provider’s does. Each region has its own.',
  },
);

/** `host:port` or a bare port (on 127.0.0.1). */
const HOST_PORT_PATTERN = '^(?:[^\\s:/\\[\\]]+|\\[[0-9A-Fa-f:.]+\\]):\\d{1,5}$';
const hostPort = (description: string) =>
  Type.Union(
    [
      Type.String({ pattern: HOST_PORT_PATTERN, expected: 'host:port, like 127.0.0.1:26400', description }),
      Type.Integer({ minimum: 1, maximum: 65535, expected: 'a port from 1 to 65535', description: `${description} A bare port means 127.0.0.1:<port>.` }),
    ],
    { expected: 'host:port like 127.0.0.1:26400, or a port', description },
  );

/** The path or URL of a probe or a metrics endpoint on the target. */
const targetPath = (description: string) =>
  Type.String({ pattern: '^(/|https?://)', expected: 'a path starting with / (on the target) or an http:// URL', description });

const Ready = Type.Object(
  {
    http: Type.Optional(targetPath('Ready when a GET of this path on the target (or this URL) answers 2xx or 3xx, e.g. /healthz.')),
    tcp: Type.Optional(hostPort("Ready when this port accepts a TCP connection. Default (without `http`): the target URL's port.")),
    timeout: Type.Optional(duration('How long to wait for the target to be ready. Default 30s for `command`, 10s for `url`.')),
  },
  {
    additionalProperties: false,
    description:
      "When the target is ready for load: `{ http: /healthz }` (a 2xx or 3xx), `{ tcp: 3000 }` (a port that accepts connections), or neither (the target URL's port accepts connections), within `timeout`. A target not ready in time is an environment failure (exit 2), not an SLO breach.",
  },
);

const targetCommon = {
  ready: Type.Optional(Ready),
  metrics: Type.Optional(
    targetPath("The service's Prometheus metrics (a path on the target or a URL), scraped every second like the reference router's, so SLOs can use its metrics, e.g. /metrics."),
  ),
};

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
        ...targetCommon,
      },
      {
        additionalProperties: false,
        expected: '`url: <http URL>`',
        description:
          'Drive load at a service you run yourself. It must call its upstreams through the providers\' proxies: give them fixed addresses with `providers[].listen`. It must answer (see `ready`) before the load starts.',
      },
    ),
    Type.Object(
      {
        command: Type.String({
          minLength: 1,
          description:
            'The command that starts your service, run by `sh -c` in its own process group (so `npm start` works); stopped with SIGTERM (SIGKILL after `stopTimeout`) when the run ends. Its stdout and stderr go to files in the report folder. May use {{...}} templates.',
        }),
        cwd: Type.Optional(Type.String({ minLength: 1, description: "The command's working folder, relative to this scenario file. Default: the scenario file's folder." })),
        url: Type.Optional(
          Type.String({
            pattern: '^https?://',
            expected: 'an http:// or https:// URL',
            description: 'Where the service listens, e.g. http://127.0.0.1:3000. Default: a free loopback port faultline picks, passed as PORT and {{target.port}}.',
          }),
        ),
        env: Type.Optional(
          Type.Record(
            Type.String(),
            Type.Union([Type.String(), Type.Number(), Type.Boolean()], {
              expected: 'a string (or a number or true/false)',
              description: 'The value; may use templates like {{providers.payments.url}}. Numbers and true/false are passed as written.',
            }),
            {
            description:
              "Environment variables for the service, on top of faultline's own (PORT, FAULTLINE_TARGET_URL, FAULTLINE_PROVIDER_<NAME>_URL, FAULTLINE_PROVIDER_<NAME>_<REGION>_URL) and the harness's. Values may use {{providers.<name>.url}}, {{providers.<name>.<region>.url}} (also .host, .port), {{target.url}}, {{target.port}}, {{target.host}}.",
            },
          ),
        ),
        stopTimeout: Type.Optional(duration("How long the service has to exit after SIGTERM before its process group gets SIGKILL. Default 5s.")),
        ...targetCommon,
      },
      {
        additionalProperties: false,
        expected: '`command: <shell command>`',
        description: 'Start your service with this command for the run, wired to the providers through the environment, and stop it afterwards.',
      },
    ),
  ],
  {
    description:
      'The system under test: exactly one of `router` (the reference router with a config), `command` (your service, started by faultline) or `url` (your service, already running).',
  },
);

const Provider = Type.Object(
  {
    name: name('The name router configs, faults and templates use for this provider. Unique within the scenario.'),
    fixture: Type.Optional(Type.String({ minLength: 1, description: 'A bundled fixture that serves this provider (e.g. joke, weather, payments). Exactly one of fixture, url, handlers.' })),
    url: Type.Optional(
      Type.String({
        pattern: '^https?://',
        expected: 'an http:// or https:// URL',
        description:
          'A real upstream you name (stripe-mock, a staging stub, WireMock…), e.g. http://127.0.0.1:12111: requests go through a Toxiproxy proxy (network faults) and a forwarding HTTP fault stage (HTTP faults, counting) to it; an unreachable upstream answers 502. Exactly one of fixture, url, handlers.',
      }),
    ),
    handlers: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Your own module of MSW request handlers (.ts or .js), relative to this scenario file: a default or `handlers` export that is an array of handlers, or a function (ctx: { provider, region, rng }) => handlers. Exactly one of fixture, url, handlers.',
      }),
    ),
    regions: Type.Optional(
      Type.Array(name('A region name, e.g. us or eu.'), {
        minItems: 1,
        description: 'Region names; each region is a separate endpoint. Omit for one endpoint without a region.',
      }),
    ),
    capacity: Type.Optional(Capacity),
    listen: Type.Optional(
      Type.Union(
        [
          hostPort('The fixed address the proxy in front of this provider listens on.'),
          Type.Record(name('A region of this provider.'), hostPort('The address of the proxy in front of this region.'), {
            description: 'With regions: region → address, e.g. { eu: 127.0.0.1:26400, us: 127.0.0.1:26401 }; regions left out get a free port.',
          }),
        ],
        {
          expected: 'host:port like 127.0.0.1:26400, a port, or (with regions) a mapping region → address',
          description:
            "Where the Toxiproxy proxy in front of this provider listens, e.g. 127.0.0.1:26400 — for a service already running (`target.url`) configured with fixed upstream addresses. Default: a free loopback port, told to a `command` target through its environment.",
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'A provider the target calls: a bundled fixture, your own MSW handlers, or a real upstream by URL, behind a Toxiproxy proxy.' },
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
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: 'Relative share of this request in the mix. Default 1.' })),
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
    expect: Type.Optional(
      Type.Object(
        {
          status: Type.Array(
            Type.Union(
              [
                Type.Integer({ minimum: 100, maximum: 599, expected: 'a status code from 100 to 599, or a class like 2xx', description: 'An exact status, e.g. 201 or 404.' }),
                Type.String({ pattern: '^[1-5][xX][xX]$', expected: 'a class like 2xx or 4xx, or a status code like 404', description: 'A class of statuses: 1xx, 2xx, 3xx, 4xx or 5xx.' }),
              ],
              { expected: 'a status like 200 or 404, or a class like 2xx', description: 'An exact status (404) or a class (2xx).' },
            ),
            {
              minItems: 1,
              description:
                'The statuses that count as a success for this request, exact (200, 404) or by class (2xx, 4xx), e.g. [2xx, 404] or [200, 429]. Replaces the default (2xx and 3xx), so say 2xx too if it still counts.',
            },
          ),
        },
        {
          additionalProperties: false,
          description:
            'What a correct answer to this request is. Availability, error_rate, successes and errors count a request as a success when its status is one of these; without `expect`, 2xx and 3xx are. Use it when a 4xx is the right answer (a rate limit answering 429, a missing token refused with 401); a request that gets no answer (timeout, network error) is never a success.',
        },
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
    connections: Type.Integer({ minimum: 1, maximum: MAX_CONNECTIONS, description: 'Concurrent connections, each with one request in flight.' }),
    ...loadCommon,
  },
  { additionalProperties: false, description: 'Closed-model load: a fixed number of connections.' },
);

const Load = Type.Union([OpenLoad, ClosedLoad], {
  description: 'How load is driven at the target: `model: open` (default) with a `rate`, or `model: closed` with `connections`.',
});

const MatchValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()], {
  expected: 'a string, number or true/false',
  description: 'The exact value.',
});

const RequestMatch = Type.Object(
  {
    headers: Type.Optional(
      Type.Record(Type.String(), MatchValue, { description: 'Request headers that must have these exact values, name (any case) → value, e.g. { x-tier: free }.' }),
    ),
    body: Type.Optional(
      Type.Record(Type.String(), MatchValue, {
        description: 'JSON body fields that must have these exact values (same type), by dotted path → value, e.g. { currency: usd, customer.tier: free }.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Only requests with these headers and JSON body fields (HTTP faults); every entry must match.',
  },
);

const FaultTarget = Type.Object(
  {
    provider: Type.String({ minLength: 1, description: 'The provider this fault hits (a name from `providers`).' }),
    region: Type.Optional(Type.String({ minLength: 1, description: "One of the provider's regions; omit to hit all of them." })),
    route: Type.Optional(route('Only requests to this provider path (HTTP faults), e.g. /joke; omit for all routes.')),
    match: Type.Optional(RequestMatch),
  },
  { additionalProperties: false, description: 'Where the fault applies.' },
);

const faultCommon = {
  name: name('Name of the fault, used by SLO windows and reports. Unique within the scenario.'),
  target: FaultTarget,
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

const faultTiming = {
  from: Type.Optional(duration('When the fault switches on, from the start of load. Default 0s.')),
  to: Type.Optional(duration('When the fault switches off, from the start of load. Default: the end of the run.')),
  ramp: Type.Optional(Ramp),
  repeat: Type.Optional(Repeat),
  flap: Type.Optional(Flap),
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
      layer: Type.Literal('http', { description: 'http: the fixture provider answers with the fault (status codes, latency, hangs, broken bodies, capacity).' }),
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

/**
 * An outage named by its shape, as people describe one; plan.ts turns each shape into proxy
 * state and toxics. No `stream`: each shape picks the directions that make it what it is.
 */
const Outage = Type.Object(
  {
    ...faultCommon,
    layer: Type.Literal('network', { description: 'network: a Toxiproxy toxic between the target and the provider.' }),
    kind: Type.Literal('outage', { description: 'an outage of a given shape: down, blackhole, flapping, partial or slow.' }),
    shape: Type.Union(
      [
        Type.Literal('down', { description: 'Connections refused: the proxy is disabled.' }),
        Type.Literal('blackhole', { description: 'Connections hang: nothing gets through either way and nothing is closed (timeout toxics of 0 on both streams).' }),
        Type.Literal('flapping', { description: 'Down and back up, again and again: `down` switched by `flap: { down: 2s, up: 3s }` (required).' }),
        Type.Literal('partial', { description: 'A share of connections (`toxicity`, required) is reset as the request is sent; the provider never sees it.' }),
        Type.Literal('slow', { description: 'Responses slowed: bandwidth limited to `kbps`, and/or `latency` (± `jitter`) added; at least one.' }),
      ],
      { description: 'The shape of the outage: down, blackhole, flapping, partial or slow.' },
    ),
    ...faultTiming,
    toxicity: Type.Optional(percent('Share of connections affected: required by partial (e.g. 30%); blackhole and slow default to 100%.')),
    latency: Type.Optional(duration('slow: latency added to responses, e.g. 800ms.')),
    jitter: Type.Optional(duration('slow: uniform jitter on the latency (± jitter). Default 0ms.')),
    kbps: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_COUNT, expected: 'a number of KB/s ≥ 0', description: 'slow: responses limited to this many KB per second.' })),
  },
  {
    additionalProperties: false,
    description:
      'Network outage of a named shape, e.g. `{ kind: outage, shape: blackhole, target: { provider: stripe, region: eu }, from: 5s, to: 35s }`.',
  },
);

const Fault = Type.Union(
  [
    httpFault('error', 'answer with an error status instead of the real response.', {
      rate: Type.Optional(percent('Share of requests that fail. Default 100%.')),
      status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, expected: 'an HTTP status from 400 to 599', description: 'The status to answer with. Default 503.' })),
      retryAfter: Type.Optional(duration('Retry-After header to send (status 429 or 503 only).')),
    }),
    httpFault('latency', 'delay the request before the provider answers it.', {
      latency: Delay('Added delay, e.g. 800ms, or { distribution: lognormal, p50: 20ms, p99: 120ms }.'),
      jitter: Type.Optional(duration('With a fixed latency: each delay is uniform in latency ± jitter. Default 0ms.')),
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
      kbps: Type.Number({ minimum: 0, maximum: MAX_COUNT, expected: 'a number of KB/s ≥ 0', description: 'Rate limit in KB per second (Toxiproxy bandwidth `rate`).' }),
    }),
    networkFault('slow_close', 'delay the connection close.', {
      delay: duration('How long the close is delayed.'),
    }),
    networkFault('slicer', 'slice the data into small packets with delays between them.', {
      averageSize: Type.Integer({ minimum: 1, maximum: MAX_COUNT, description: 'Average packet size in bytes.' }),
      sizeVariation: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Variation of the packet size in bytes (less than averageSize). Default 0.' })),
      delay: Type.Optional(duration('Delay between packets. Default 0ms.')),
    }),
    networkFault('limit_data', 'close the connection after a number of bytes.', {
      bytes: Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Bytes let through before the connection is closed.' }),
    }),
    Outage,
    httpFault('hang', 'never answer: the request is held until the client gives up or the fault ends, then the connection is dropped.', {
      rate: Type.Optional(percent('Share of requests held. Default 100%.')),
    }),
    httpFault('truncate', 'send the status, the headers and part of the body, then drop the connection.', {
      bytes: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Bytes of the body sent before the cut (at most all but one).' })),
      fraction: Type.Optional(percent('Share of the body sent before the cut, e.g. 50%. Default 50% (unless `bytes`).')),
      rate: Type.Optional(percent('Share of requests cut. Default 100%.')),
    }),
    httpFault('malformed', 'answer 200 with the JSON content type and a body that is not JSON.', {
      style: Type.Optional(
        Type.Union([Type.Literal('truncated'), Type.Literal('garbage')], {
          description: 'truncated: the real body cut in half; garbage: almost-JSON that does not parse. Default truncated.',
        }),
      ),
      rate: Type.Optional(percent('Share of requests answered so. Default 100%.')),
    }),
    httpFault('content_type', 'answer with the wrong content type, e.g. a proxy’s HTML error page.', {
      contentType: Type.Optional(
        Type.String({ minLength: 1, description: 'The content type to answer with. Default text/html; charset=utf-8 (an HTML page; any other type relabels the real body).' }),
      ),
      status: Type.Optional(
        Type.Integer({ minimum: 100, maximum: 599, expected: 'an HTTP status from 100 to 599', description: 'The status to answer with: 200 (a CDN interstitial) or e.g. 502 (nginx’s error page). Default 200.' }),
      ),
      rate: Type.Optional(percent('Share of requests answered so. Default 100%.')),
    }),
    httpFault('slow_headers', 'the provider does its work, then the status line and headers are delayed.', {
      delay: Delay('How long the head waits, e.g. 2s.'),
      rate: Type.Optional(percent('Share of requests slowed. Default 100%.')),
    }),
    httpFault('slow_body', 'the status and headers at once, the body after a delay.', {
      delay: Delay('How long the body waits after the head, e.g. 2s.'),
      rate: Type.Optional(percent('Share of requests slowed. Default 100%.')),
    }),
    httpFault('capacity', "change the provider's capacity for the window, e.g. a regional brown-out.", {
      concurrency: Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Requests served at once during the fault (0: none; they wait).' }),
      queue: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: "Requests that may wait. Default: the provider's own." })),
      serviceTime: Type.Optional(Delay("Service time during the fault. Default: the provider's own (required if it has no `capacity`).")),
    }),
  ],
  {
    description:
      'A fault injected for a time window. `layer: http` kinds: error, latency, hang, truncate, malformed, content_type, slow_headers, slow_body, capacity. `layer: network` kinds: latency, down, timeout, reset_peer, bandwidth, slow_close, slicer, limit_data, and outage (with a `shape`). Any fault can `ramp` a parameter, `repeat` its window, or `flap`.',
  },
);

const Window = Type.Union(
  [
    Type.Literal('run', { description: 'The whole run.' }),
    Type.Object(
      { during: Type.String({ minLength: 1, description: 'Name of the fault whose window this is.' }) },
      { additionalProperties: false, description: 'While the named fault is on; for one that repeats or flaps, from its first switch-on to its last switch-off.' },
    ),
    Type.Object(
      {
        recovery: Type.String({ minLength: 1, description: 'Name of the fault after which recovery is measured.' }),
        for: Type.Optional(duration('How long after the fault ends. Default: to the end of the run.')),
      },
      { additionalProperties: false, description: 'After the named fault switches off (its last occurrence, if it repeats or flaps).' },
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
    seed: Type.Optional(Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: 'Seed for every random choice (arrivals, jitter, error draws). Default 1.' })),
    expect: Type.Optional(
      Type.Union([Type.Literal('pass'), Type.Literal('fail')], {
        description: 'The verdict this scenario should get: a broken twin expects fail. Default pass.',
      }),
    ),
    target: Target,
    providers: Type.Array(Provider, { minItems: 1, description: 'The providers the target calls, each behind a Toxiproxy proxy; at least one.' }),
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
