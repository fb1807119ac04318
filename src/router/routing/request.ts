/**
 * Small, total readers of a request's headers and JSON body, shared by the routing modules.
 * None of them throws: a missing header, a broken body or a wrong type reads as `undefined`.
 */

/** Headers as the router holds them (node:http's shape: lower-case names). */
export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** One header's value, the first when repeated, trimmed; `undefined` when absent or empty. */
export function header(headers: Headers, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** The body as JSON, or `undefined` when there is none or it does not parse. */
export function jsonBody(body: Uint8Array | undefined): unknown {
  if (!body || body.byteLength === 0) return undefined;
  try {
    return JSON.parse(decoder.decode(body)) as unknown;
  } catch {
    return undefined;
  }
}

/** `obj.a.b` by a dotted path, or `undefined`. */
export function field(value: unknown, path: string): unknown {
  let cur = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A finite, non-negative number from a number or a numeric string; else `undefined`. */
export function amountOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
