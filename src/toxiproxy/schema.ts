/**
 * The API's request bodies, parsed and validated whole before anything changes. Pure: each
 * parser returns a value or the ApiError to answer with, never throws.
 *
 * Toxiproxy decodes bodies into Go structs, so it already rejects a string where a number
 * belongs; it accepts everything else (a negative rate, a toxicity of 7, a typo'd attribute
 * name, a slicer that recurses forever). faultline rejects those too, each with its reason.
 */
import { parseHostPort } from './address.ts';
import { ApiError, clip, ErrBadRequestBody, ErrInvalidStream, ErrInvalidToxicType, ErrMissingField } from './api-error.ts';
import { TOXIC_KINDS, type Attributes, type ToxicKind } from './toxics/index.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };
export type Direction = 'upstream' | 'downstream';

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const bad = (detail: string): Result<never> => ({ ok: false, error: ErrBadRequestBody.with(detail) });
const fail = (error: ApiError): Result<never> => ({ ok: false, error });

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short description of a value for an error message: never the value whole, however big or deep. */
function describe(v: unknown): string {
  if (v === undefined) return 'an empty body';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${quote(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${clip(String(v), 40)}`;
}

/** `s` as a JSON string literal, cut to `max` characters first: what error messages quote. */
export function quote(s: string, max = 40): string {
  return JSON.stringify(clip(s, max));
}

/**
 * How deep a request body may nest. Toxiproxy's bodies are two levels deep (a toxic's
 * attributes); Go's decoder stops at 10,000. Deeper input is refused before it is parsed, so
 * nothing that walks a parsed body (validation, error messages, JSON.stringify) can run out
 * of stack on it.
 */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of arrays and objects in `text`, counted outside strings; stops past `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Parses a request body; an empty body is `undefined` (some endpoints allow it). */
export function parseJson(text: string): Result<unknown> {
  if (text.trim() === '') return ok(undefined);
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return bad(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return ok(JSON.parse(text));
  } catch (e) {
    // V8 quotes a window of the input in its message; the error body clips it (api-error.ts).
    return bad(`invalid JSON (${(e as Error).message})`);
  }
}

// ---- proxies -------------------------------------------------------------------------------

export interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** Where a proxy listens when the body names no address: loopback, a free port. */
export const DEFAULT_LISTEN = '127.0.0.1:0';

function optionalString(body: Obj, key: string, where = ''): Result<string | undefined> {
  const v = body[key];
  if (v === undefined || v === null) return ok(undefined);
  if (typeof v !== 'string') return bad(`${where}"${key}" must be a string, got ${describe(v)}`);
  return ok(v);
}

/** The longest proxy or toxic name: it travels in URL paths, which HTTP servers bound (Node at 16 KB). */
export const MAX_NAME_LENGTH = 255;

/**
 * Why `name` cannot name a proxy or a toxic, or undefined when it can. A name must come back:
 * clients address it as a path segment (`/proxies/{name}`), and the listing keys it. So no
 * `/`, no `.` or `..` (URL clients resolve them away), no lone surrogate (not encodable in a
 * URL; Toxiproxy stores it as U+FFFD and cannot find it again), no control character, and a
 * bounded length. Toxiproxy accepts all of these and then cannot serve some of them.
 */
export function nameProblem(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH) return `is ${name.length} characters long (at most ${MAX_NAME_LENGTH})`;
  if (!name.isWellFormed()) return 'contains a lone UTF-16 surrogate';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'contains a control character';
  if (name.includes('/')) return 'contains "/"';
  if (name === '.' || name === '..') return 'is a dot segment, which URL clients remove from the path';
  return undefined;
}

function checkName(what: 'proxy' | 'toxic', name: string, where = ''): Result<string> {
  const problem = nameProblem(name);
  return problem ? bad(`${where}${what} name ${quote(name)} ${problem}`) : ok(name);
}

function checkAddress(key: 'listen' | 'upstream', value: string, where = ''): Result<string> {
  const hp = parseHostPort(value);
  if (!hp) return bad(`${where}"${key}" must be host:port (e.g. 127.0.0.1:8080), got ${quote(value)}`);
  if (key === 'upstream' && (hp.port === 0 || hp.host === '')) {
    return bad(`${where}"upstream" needs a host and a non-zero port, got ${quote(value)}`);
  }
  return ok(value);
}

/** `POST /proxies` and each element of `POST /populate`. */
export function parseProxyCreate(body: unknown, where = ''): Result<ProxyInput> {
  if (!isObject(body)) return bad(`${where}expected a JSON object with name, listen and upstream, got ${describe(body)}`);
  const name = optionalString(body, 'name', where);
  if (!name.ok) return name;
  const upstream = optionalString(body, 'upstream', where);
  if (!upstream.ok) return upstream;
  const listen = optionalString(body, 'listen', where);
  if (!listen.ok) return listen;
  const enabled = body['enabled'];
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') {
    return bad(`${where}"enabled" must be true or false, got ${describe(enabled)}`);
  }
  const at = where ? ` at ${where.replace(/: $/, '')}` : '';
  if (!name.value) return fail(ErrMissingField.with(`name${at}`));
  if (!upstream.value) return fail(ErrMissingField.with(`upstream${at}`));
  const named = checkName('proxy', name.value, where);
  if (!named.ok) return named;
  const up = checkAddress('upstream', upstream.value, where);
  if (!up.ok) return up;
  const li = checkAddress('listen', listen.value || DEFAULT_LISTEN, where);
  if (!li.ok) return li;
  return ok({ name: name.value, listen: li.value, upstream: up.value, enabled: enabled ?? true });
}

/** `POST /populate`: an array of proxies; duplicate names are rejected before anything changes. */
export function parsePopulate(body: unknown): Result<ProxyInput[]> {
  if (!Array.isArray(body)) return bad(`expected a JSON array of proxies, got ${describe(body)}`);
  const out: ProxyInput[] = [];
  const names = new Set<string>();
  for (let i = 0; i < body.length; i++) {
    const p = parseProxyCreate(body[i], `proxy ${i + 1}: `);
    if (!p.ok) return p;
    if (names.has(p.value.name)) return bad(`duplicate proxy name ${quote(p.value.name)} at proxy ${i + 1}`);
    names.add(p.value.name);
    out.push(p.value);
  }
  return ok(out);
}

/** `POST|PATCH /proxies/{name}`: absent fields keep their current values. */
export function parseProxyUpdate(body: unknown, current: ProxyInput): Result<ProxyInput> {
  if (!isObject(body)) return bad(`expected a JSON object, got ${describe(body)}`);
  const name = optionalString(body, 'name');
  if (!name.ok) return name;
  if (name.value !== undefined && name.value !== '' && name.value !== current.name) {
    return bad(`a proxy cannot be renamed (delete it and create ${quote(name.value)})`);
  }
  const listen = optionalString(body, 'listen');
  if (!listen.ok) return listen;
  const upstream = optionalString(body, 'upstream');
  if (!upstream.ok) return upstream;
  const enabled = body['enabled'];
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') {
    return bad(`"enabled" must be true or false, got ${describe(enabled)}`);
  }
  const li = listen.value ? checkAddress('listen', listen.value) : ok(current.listen);
  if (!li.ok) return li;
  const up = upstream.value ? checkAddress('upstream', upstream.value) : ok(current.upstream);
  if (!up.ok) return up;
  return ok({ name: current.name, listen: li.value, upstream: up.value, enabled: enabled ?? current.enabled });
}

// ---- toxics --------------------------------------------------------------------------------

export interface ToxicInput {
  name: string;
  type: string;
  stream: Direction;
  toxicity: number;
  attributes: Attributes;
  kind: ToxicKind;
}

/** Absent or null is the default; `""` is invalid, as in Toxiproxy (its decoder overwrites the default with it). */
function parseStream(v: unknown): Result<Direction | undefined> {
  if (v === undefined || v === null) return ok(undefined);
  if (typeof v !== 'string') return bad(`"stream" must be a string, got ${describe(v)}`);
  const s = v.toLowerCase();
  if (s !== 'upstream' && s !== 'downstream') return fail(ErrInvalidStream.with(quote(v)));
  return ok(s);
}

function parseToxicity(v: unknown, fallback: number): Result<number> {
  if (v === undefined || v === null) return ok(fallback);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    return bad(`"toxicity" must be a number from 0 to 1 (the share of connections affected), got ${describe(v)}`);
  }
  return ok(v);
}

/** Validates attributes over `base` (zeros on create, the current values on update). */
export function parseAttributes(kind: ToxicKind, v: unknown, base: Attributes): Result<Attributes> {
  if (v !== undefined && v !== null && !isObject(v)) {
    return bad(`"attributes" must be an object, got ${describe(v)}`);
  }
  const given: Obj = v ?? {};
  const known = kind.attributes.map((a) => a.key);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      return bad(`unknown attribute ${quote(key)} for a ${kind.type} toxic (it takes ${known.join(', ')})`);
    }
  }
  const attrs: Attributes = {};
  for (const spec of kind.attributes) {
    const value = given[spec.key] ?? base[spec.key] ?? 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
      return bad(
        `${kind.type}.${spec.key} must be an integer from ${spec.min} to ${spec.max} (${spec.unit}), got ${describe(value)}`,
      );
    }
    attrs[spec.key] = value;
  }
  const reason = kind.check?.(attrs);
  if (reason) return bad(reason);
  return ok(attrs);
}

/** `POST /proxies/{name}/toxics`. Name defaults to `<type>_<stream>`, stream to downstream, toxicity to 1. */
export function parseToxicCreate(body: unknown): Result<ToxicInput> {
  if (!isObject(body)) return bad(`expected a JSON object with type and attributes, got ${describe(body)}`);
  const name = optionalString(body, 'name');
  if (!name.ok) return name;
  const type = optionalString(body, 'type');
  if (!type.ok) return type;
  const stream = parseStream(body['stream']);
  if (!stream.ok) return stream;
  const toxicity = parseToxicity(body['toxicity'], 1);
  if (!toxicity.ok) return toxicity;
  const kind = TOXIC_KINDS.get(type.value ?? '');
  if (!kind) {
    const got = type.value ? quote(type.value) : 'none given';
    return fail(ErrInvalidToxicType.with(`${got} (known: ${[...TOXIC_KINDS.keys()].join(', ')})`));
  }
  const attributes = parseAttributes(kind, body['attributes'], {});
  if (!attributes.ok) return attributes;
  const dir = stream.value ?? 'downstream';
  const toxicName = checkName('toxic', name.value || `${kind.type}_${dir}`);
  if (!toxicName.ok) return toxicName;
  return ok({
    name: toxicName.value,
    type: kind.type,
    stream: dir,
    toxicity: toxicity.value,
    attributes: attributes.value,
    kind,
  });
}

/**
 * `POST|PATCH /proxies/{name}/toxics/{toxic}`: attributes merge over the current ones and
 * toxicity keeps its value unless given, as in Toxiproxy. Toxiproxy silently ignores a new
 * type, stream or name; faultline accepts them only when unchanged (clients resend the
 * whole toxic) and rejects a change, which would otherwise look applied and not be.
 */
export function parseToxicUpdate(body: unknown, current: ToxicInput): Result<ToxicInput> {
  if (!isObject(body)) return bad(`expected a JSON object, got ${describe(body)}`);
  for (const key of ['name', 'type', 'stream'] as const) {
    const v = body[key];
    if (v === undefined || v === null || v === '') continue;
    const same = typeof v === 'string' && (key === 'stream' ? v.toLowerCase() : v) === current[key];
    if (!same) {
      return bad(`a toxic's ${key} cannot change (${quote(current[key])} → ${describe(v)}); delete it and add a new one`);
    }
  }
  const toxicity = parseToxicity(body['toxicity'], current.toxicity);
  if (!toxicity.ok) return toxicity;
  const attributes = parseAttributes(current.kind, body['attributes'], current.attributes);
  if (!attributes.ok) return attributes;
  return ok({ ...current, toxicity: toxicity.value, attributes: attributes.value });
}
