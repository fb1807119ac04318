/**
 * The scenario file as a person writes it, as a TypeBox schema: one source for the loader's
 * validation (Ajv), the raw TypeScript type (`ScenarioFile`) and the editor help in
 * scenarios/schema.json. Every field carries a description; quantities carry `expected`,
 * the phrase an issue uses instead of a regular expression.
 *
 * Normalisation (units, defaults, absolute paths) is not here: see load.ts and src/model/.
 * Each fault kind's branch is defined with the kind, in src/model/faults/.
 */
import Type from 'typebox';
import { MAX_RATE_PER_S, RATE_PATTERN } from '../core/units.ts';
import { CapacitySchema } from '../model/capacity.ts';
import { faultSchemas, listedKinds } from '../model/faults/index.ts';
import { duration, MAX_CONNECTIONS, name, route } from '../model/quantities.ts';

// Rates accept a bare number (per second), which is how everyone reads one; durations and
// percentages take a unit (src/model/quantities.ts).
const Rate = Type.Union(
  [
    Type.Number({ exclusiveMinimum: 0, maximum: MAX_RATE_PER_S, description: 'Requests per second.' }),
    Type.String({ pattern: RATE_PATTERN, quantity: 'rate', expected: 'a rate like 50/s or 600/m', description: 'Requests per unit of time, like 50/s or 600/m.' }),
  ],
  { description: 'Target arrival rate (open model): a number per second, or "50/s", "600/m", "3000/h".' },
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
    capacity: Type.Optional(CapacitySchema),
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

/**
 * The fault union: one branch per fault kind, each defined with its normalisation and plan
 * step in src/model/faults/ (the registry's order is the union's).
 */
const Fault = Type.Union(faultSchemas(), {
  description: `A fault injected for a time window. \`layer: http\` kinds: ${listedKinds('http').join(', ')}. \`layer: network\` kinds: ${listedKinds('network').join(', ')}. Any fault can \`ramp\` a parameter, \`repeat\` its window, or \`flap\`.`,
});

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
    abortOnFail: Type.Optional(
      Type.Union(
        [
          Type.Boolean(),
          Type.Object(
            { grace: duration('How long after its window opens the SLO is first judged: its early samples are too few to stop a run on. Default 0s.') },
            { additionalProperties: false },
          ),
        ],
        {
          description:
            'Stop the run as soon as this SLO is breached (as k6\'s abortOnFail): while load runs it is judged every second over the data so far in its window, once the window has opened and `grace` has passed. The environment is torn down, everything measured is written, the run is marked aborted with the reason, and the exit code is 1. `true`, or `{grace: 5s}`.',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'A resilience SLO the run is judged on.' },
);

const Variant = Type.Object(
  {
    name: name('Name of the variant, in the comparison table and its run folder (<scenario>~<name>). Unique within the scenario.'),
    description: Type.Optional(Type.String({ description: 'What the variant changes, and why, in a sentence.' })),
    expect: Type.Optional(
      Type.Union([Type.Literal('pass'), Type.Literal('fail')], { description: "The verdict this variant should get (a broken twin as a variant expects fail). Default: the scenario's." }),
    ),
    set: Type.Record(Type.String({ minLength: 1 }), Type.Unknown(), {
      minProperties: 1,
      description:
        'Settings by path → value, as written in the files: router settings (`retry.backoff.jitter: none` on every route with a retry, `routes[/api/**].timeout: 1s`, `providers[backend].breaker.failureRate: 20%`, `retry.budget: off` removes a block, a mapping adds one) and scenario settings (`load.rate: 80/s`, `faults[brownout].to: 4s`; `scenario.` or `router.` before a path says which file it means).',
    }),
  },
  { additionalProperties: false, description: 'The scenario with some settings changed: run after the base by `run --variants` and `sim --variants`, side by side.' },
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
    variants: Type.Optional(Type.Array(Variant, { description: 'Variants of this scenario with settings changed by path, compared side by side with it. Default none.' })),
    report: Type.Optional(
      Type.Object(
        {
          metrics: Type.Array(Type.String({ minLength: 1, pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' }), {
            minItems: 1,
            description:
              "Metrics of the target's /metrics to chart over time, by name: a counter (`retry_attempts_total`) as its increase per second, a histogram by its family name (`router_request_duration_seconds`) as p50/p99 per second, a gauge as scraped.",
          }),
        },
        { additionalProperties: false, description: 'What report.html draws beyond its own charts.' },
      ),
    ),
  },
  {
    additionalProperties: false,
    title: 'faultline scenario',
    description: 'A faultline scenario: a system under test, fixture providers, load, faults over time, and the SLOs that must hold.',
  },
);

/** A scenario file as written, after schema validation (before defaults and units). */
export type ScenarioFile = Type.Static<typeof ScenarioSchema>;
