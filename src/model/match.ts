/**
 * Which requests an HTTP fault hits beyond its route: exact header values and JSON body
 * fields by dotted path. The one definition of `RequestMatch` — the scenario's, the
 * planner's and the provider stage's — with its schema fragment, its check and its
 * normalisation. The matching itself is the provider stage's (`selects` in
 * src/providers/http-faults.ts).
 */
import Type from 'typebox';
import { rec, type At, type Path } from './checks.ts';

/** Requests whose headers (name in any case) and JSON body fields (dotted path) have these exact values. */
export interface RequestMatch {
  /** Header name (any case) → exact value. */
  headers?: Record<string, string | number | boolean>;
  /** Dotted path into a JSON body (`customer.tier`) → exact value, compared with its JSON type. */
  body?: Record<string, string | number | boolean>;
}

const MatchValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()], {
  expected: 'a string, number or true/false',
  description: 'The exact value.',
});

export const RequestMatchSchema = Type.Object(
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

/** Body paths are dotted field names: `customer.tier`, `items.0.sku`. */
export function checkMatch(v: unknown, base: Path, at: At): void {
  const body = rec(rec(v)?.body);
  if (!body) return;
  for (const path of Object.keys(body)) {
    if (path.split('.').some((seg) => seg === '')) {
      at([...base, 'body', path], `\`${path}\` is not a dotted path (write field names joined by dots, like customer.tier)`);
    }
  }
}

/** A request match as written (header names as written: they are matched in any case). */
export function normalizeMatch(m: RequestMatch | undefined): { match?: RequestMatch } {
  if (!m || (m.headers === undefined && m.body === undefined)) return {};
  return { match: { ...(m.headers && { headers: { ...m.headers } }), ...(m.body && { body: { ...m.body } }) } };
}
