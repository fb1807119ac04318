/**
 * Request-path normalisation: the path a route is matched on is the path the upstream is
 * sent, and no upstream can read it as another. Without it `/api/products/../orders/1001`
 * is matched by the products route (no JWT) and forwarded as written, so any upstream that
 * resolves `..` serves an order without the orders route's authentication.
 *
 * The policy (Envoy's `normalize_path` + `merge_slashes`, with its escaped-slash option set
 * to reject), applied to the path only — the query is forwarded as received:
 *
 * 1. The request target must be origin-form (`/…`); absolute-form (`http://host/…`) is
 *    reduced to its path. Anything else (`*`, `foo`) is refused.
 * 2. Percent-encodings of unreserved characters (RFC 3986 §2.3: `A–Z a–z 0–9 - . _ ~`) are
 *    decoded, so `%2E%2e` is `..` and is resolved like one; every other encoding is kept,
 *    its hex digits upper-cased (`%c3%a9` → `%C3%A9`).
 * 3. Refused (400), because an upstream may decode them into something the router did not
 *    match: an encoded slash or backslash (`%2F`, `%5C`), an encoded NUL (`%00`), a double
 *    encoding (`%25` followed by two hex digits: `%252F`, `%252e`), a broken
 *    escape (`%`, `%4`, `%zz`), a raw backslash (some servers read it as `/`), a fragment
 *    (`#`), a control, space or non-ASCII byte, and a dot segment with a path parameter
 *    (`..;x`, `.;x`: Tomcat and Spring strip the `;…` and resolve what is left).
 * 4. Runs of slashes are merged (`//` → `/`), then dot segments are removed (RFC 3986
 *    §5.2.4 remove_dot_segments): `/a/./b` → `/a/b`, `/a/b/../c` → `/a/c`, `/..` → `/`.
 *
 * A path that needs none of this (the common case) costs one regular-expression test.
 *
 * `compileMatch` turns a route's `match` pattern into the test a normalised path is matched with.
 */

export type NormalisedPath = { ok: true; path: string } | { ok: false; message: string };

/** Anything that may need work: an escape, a backslash, a fragment, a dot after a slash, two slashes, or a byte outside visible ASCII. */
const NEEDS_WORK = /[%\\#]|\/\.|\/\/|[^\x21-\x7e]/;

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** True when `pathname` (no query) is already normal: the router's per-request check, one regular-expression test and no allocation. */
export function isNormalPath(pathname: string): boolean {
  return pathname.charCodeAt(0) === 47 && !NEEDS_WORK.test(pathname);
}

/**
 * `target` (path and query, as received) normalised, or why it cannot be.
 *
 * @example
 *   normalisePath('/api/products/../orders/1001?x=1'); // { ok: true, path: '/api/orders/1001?x=1' }
 *   normalisePath('/api/products/..%2Forders');         // { ok: false, message: '… encoded slash …' }
 */
export function normalisePath(target: string): NormalisedPath {
  const q = target.indexOf('?');
  let pathname = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  if (pathname.charCodeAt(0) !== 47 /* / */) {
    const absolute = /^https?:\/\/[^/]*/i.exec(pathname);
    if (!absolute) return { ok: false, message: 'the request target must be a path starting with /' };
    pathname = pathname.slice(absolute[0].length) || '/';
    if (pathname.charCodeAt(0) !== 47) return { ok: false, message: 'the request target must be a path starting with /' };
  }
  if (!NEEDS_WORK.test(pathname)) return { ok: true, path: pathname.length + query.length === target.length ? target : pathname + query };

  let decoded = '';
  for (let i = 0; i < pathname.length; i++) {
    const c = pathname.charCodeAt(i);
    if (c === 37 /* % */) {
      const hi = hexValue(pathname.charCodeAt(i + 1));
      const lo = hexValue(pathname.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return { ok: false, message: `broken percent-encoding at character ${i + 1} of the path` };
      const v = hi * 16 + lo;
      if (v === 0x2f || v === 0x5c) return { ok: false, message: 'an encoded slash or backslash (%2F, %5C) in the path is refused: an upstream could decode it into a different path' };
      if (v === 0) return { ok: false, message: 'an encoded NUL (%00) in the path is refused' };
      if (v === 0x25 && hexValue(pathname.charCodeAt(i + 3)) >= 0 && hexValue(pathname.charCodeAt(i + 4)) >= 0) {
        return { ok: false, message: 'a double percent-encoding (%25 and two hex digits, e.g. %252F) in the path is refused: an upstream that decodes twice would read another path' };
      }
      decoded += isUnreserved(v) ? String.fromCharCode(v) : '%' + HEX[hi] + HEX[lo];
      i += 2;
      continue;
    }
    if (c < 0x21 || c > 0x7e) return { ok: false, message: 'the path holds a control, space or non-ASCII character; percent-encode it' };
    if (c === 92 /* \ */) return { ok: false, message: 'a backslash in the path is refused: some upstreams read it as /' };
    if (c === 35 /* # */) return { ok: false, message: 'a fragment (#) has no place in a request target' };
    decoded += pathname[i];
  }

  const segments = decoded.split('/');
  const out: string[] = [];
  // segments[0] is the empty string before the leading slash; empty segments after it are merged slashes.
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..') out.pop();
      if (last) out.push('');
      continue;
    }
    if (s === '' && !last) continue;
    if (/^\.\.?;/.test(s)) return { ok: false, message: 'a dot segment with a path parameter (..;) is refused: some upstreams resolve it as ..' };
    out.push(s);
  }
  return { ok: true, path: '/' + out.join('/') + query };
}

/**
 * `/joke` matches exactly; `*` matches one path segment; a trailing `/**` matches the
 * path itself and anything below it (`/weather/**` takes `/weather` and `/weather/oslo`).
 */
export function compileMatch(pattern: string): (path: string) => boolean {
  if (!pattern.includes('*')) return (path) => path === pattern;
  let source = '';
  const parts = pattern.split('/');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '**' && i === parts.length - 1) source += '(?:/.*)?';
    else if (part === '**') source += '(?:/[^/]+)*';
    else source += '/' + part.split('*').map(escapeRegExp).join('[^/]+');
  }
  const re = new RegExp(`^${source}$`);
  return (path) => re.test(path);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
