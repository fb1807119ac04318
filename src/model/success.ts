/**
 * What counts as a successful request: the one definition the load drivers (each record's
 * `ok`), the scenario (`load.requests[].expect`), the SLOs (`availability`, `successes`) and
 * the summary all use, so a run's availability means the same everywhere.
 */

/**
 * Whether `status` matches a status pattern: a class (`5xx`), an exact code (`503`), or
 * `error` (also `0`) for no HTTP answer. An SLO's `status` selector (already checked against
 * STATUS_PATTERN, src/slo/metrics.ts) and a request's expected status both read this way.
 */
export function statusMatches(status: number, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p === 'error' || p === '0') return status === 0;
  if (p.endsWith('xx')) return status !== 0 && Math.floor(status / 100) === Number(p[0]);
  return status === Number(p);
}

/**
 * What a request may answer and count as a success: an exact status (`404`) or a class
 * (`"2xx"`). A scenario states it per request (`load.requests[].expect.status`).
 */
export type ExpectedStatus = number | string;

/**
 * The rule of availability when a request says nothing: it was answered 2xx or 3xx. A 4xx is
 * not a success by default: a wrong path (404) or a refused token (401) is the service saying
 * it could not do what was asked, and counting it would let a misrouted run pass.
 */
export const DEFAULT_EXPECTED_STATUS: readonly ExpectedStatus[] = ['2xx', '3xx'];

/** An expected status as written: a code 100–599, or a class `1xx`–`5xx`. */
export const EXPECTED_STATUS_PATTERN = /^(?:[1-5]xx|[1-5]\d\d)$/i;

/**
 * Whether `status` is one of the `expected` statuses (a class or an exact code). A request with
 * no HTTP answer (status 0: timeout, network error, not sent) never meets an expectation.
 *
 * @example
 *   meetsExpectation(404)                      // false: the default is 2xx and 3xx
 *   meetsExpectation(404, [200, 201, 404])     // true
 *   meetsExpectation(429, ['2xx', 429])        // true
 */
export function meetsExpectation(status: number, expected: readonly ExpectedStatus[] = DEFAULT_EXPECTED_STATUS): boolean {
  if (status === 0) return false;
  return expected.some((e) => statusMatches(status, String(e)));
}

/**
 * The rule of availability, one for the SLOs, the summary and the progress line: the record's
 * own verdict (`ok`, set by the load driver from its request's `expect`), else the default
 * (2xx or 3xx).
 */
export function isSuccess(r: { status: number; ok?: boolean }): boolean {
  return r.ok ?? meetsExpectation(r.status);
}
