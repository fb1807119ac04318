/**
 * Values the schema accepts but the run could not use: a request path undici refuses (a
 * space), a header that would split the request (CRLF) or that the client will not send, a
 * body on a GET, a NUL byte the shell cannot take, a port beyond 65535. Each would otherwise
 * show only at run time — as a crash, or as 0 % availability reported like a verdict about
 * the target — so `validate` reports it (exit 2).
 *
 * Defensive like the other semantic checks: reads only values of the right shape.
 */
import { parseHostPort } from '../toxiproxy/address.ts';

type Raw = Record<string, unknown>;
type Path = (string | number)[];
type At = (p: Path, message: string, extra?: { expected?: string; found?: string }) => void;

const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** RFC 9110 token: a header name (and a method). */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What undici sends as a header value: tab, visible ASCII, space, and Latin-1; no CR, LF or NUL. */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** What undici sends as a request path (its `invalidPathRegex`, inverted): no space, no control character, Latin-1 only. */
export const REQUEST_PATH = /^\/[\x21-\xff]*$/;

/**
 * Headers faultline's load client sets itself or refuses: the length of the body it sends,
 * the framing, the connection, and `expect` (undici does not support 100-continue).
 */
const CLIENT_HEADERS: Record<string, string> = {
  'content-length': 'faultline sets content-length from the body it sends',
  'transfer-encoding': 'faultline frames the body itself',
  'keep-alive': 'faultline manages its connections itself',
  upgrade: 'the load client cannot upgrade a connection',
  connection: 'faultline manages its connections itself',
  expect: 'the load client does not support expect: 100-continue',
};

/** Methods whose requests carry no body the target could read (RFC 9110 §9.3.1, §9.3.2). */
const NO_BODY = new Set(['GET', 'HEAD']);

const shown = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);

export function checkRunnable(doc: Raw, at: At): void {
  const load = rec(doc.load);
  list(load?.requests).forEach((item, i) => {
    const r = rec(item);
    if (!r) return;
    const base: Path = ['load', 'requests', i];
    checkPath(r.path, [...base, 'path'], at);
    const method = typeof r.method === 'string' ? r.method : 'GET';
    if (r.body !== undefined && NO_BODY.has(method)) {
      at([...base, 'body'], `a ${method} request carries no body (servers ignore or refuse it); use POST, PUT or PATCH, or drop \`body\``);
    }
    const headers = rec(r.headers);
    if (headers) checkHeaders(headers, [...base, 'headers'], at, true);
  });

  list(doc.faults).forEach((item, i) => {
    const t = rec(rec(item)?.target);
    if (!t) return;
    if (typeof t.route === 'string') checkPath(t.route, ['faults', i, 'target', 'route'], at);
    const headers = rec(rec(t.match)?.headers);
    if (headers) checkHeaders(headers, ['faults', i, 'target', 'match', 'headers'], at, false);
  });

  const target = rec(doc.target);
  if (target) {
    const ready = rec(target.ready);
    if (typeof ready?.http === 'string') checkTargetPath(ready.http, ['target', 'ready', 'http'], at);
    if (typeof ready?.tcp === 'string') checkPort(ready.tcp, ['target', 'ready', 'tcp'], at);
    if (typeof target.metrics === 'string') checkTargetPath(target.metrics, ['target', 'metrics'], at);
    for (const field of ['command', 'cwd', 'router'] as const) {
      if (typeof target[field] === 'string' && (target[field] as string).includes('\0')) at(['target', field], 'contains a NUL character, which no command or path can hold');
    }
    const env = rec(target.env);
    if (env) {
      for (const [k, v] of Object.entries(env)) {
        if (k === '' || k.includes('=') || k.includes('\0')) {
          at(['target', 'env', k], 'not a usable environment variable name', { expected: 'a name without `=` or NUL, like PAYMENTS_URL' });
        } else if (typeof v === 'string' && v.includes('\0')) at(['target', 'env', k], 'contains a NUL character, which no environment variable can hold');
      }
    }
  }

  list(doc.providers).forEach((item, i) => {
    const listen = rec(item)?.listen;
    if (typeof listen === 'string') checkPort(listen, ['providers', i, 'listen'], at);
    const byRegion = rec(listen);
    if (byRegion) for (const [region, a] of Object.entries(byRegion)) if (typeof a === 'string') checkPort(a, ['providers', i, 'listen', region], at);
  });
}

function checkPath(v: unknown, where: Path, at: At): void {
  if (typeof v !== 'string' || !v.startsWith('/') || REQUEST_PATH.test(v)) return;
  at(where, 'not a path an HTTP request can carry: spaces, control characters and characters beyond Latin-1 must be percent-encoded', {
    expected: 'a path like /search?q=a%20b',
    found: shown(v),
  });
}

/** A probe or metrics endpoint: a path on the target, or a URL that parses. */
function checkTargetPath(v: string, where: Path, at: At): void {
  if (v.startsWith('/')) checkPath(v, where, at);
  else if (/^https?:\/\//.test(v) && !URL.canParse(v)) at(where, 'not a valid URL', { expected: 'a URL like http://127.0.0.1:9464/metrics', found: shown(v) });
}

function checkHeaders(headers: Raw, where: Path, at: At, sent: boolean): void {
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const path = [...where, name];
    if (!HTTP_TOKEN.test(name)) {
      at(path, 'not a header name', { expected: 'letters, digits and !#$%&\'*+-.^_`|~, like x-request-id' });
      continue;
    }
    const lower = name.toLowerCase();
    const prev = seen.get(lower);
    if (prev !== undefined) at(path, `the same header as \`${prev}\` (header names ignore case)`);
    seen.set(lower, name);
    if (sent && CLIENT_HEADERS[lower]) at(path, `header \`${name}\` cannot be set here: ${CLIENT_HEADERS[lower]}`);
    if (typeof value === 'string' && !HEADER_VALUE.test(value)) {
      at(path, 'not a header value an HTTP request can carry: no CR, LF, NUL or other control characters, Latin-1 only', { found: shown(value) });
    }
  }
}

function checkPort(address: string, where: Path, at: At): void {
  const m = /:(\d{1,5})$/.exec(address);
  if (m && Number(m[1]) > 65535 && parseHostPort(address) === undefined) at(where, `port ${m[1]} is beyond 65535`);
}
