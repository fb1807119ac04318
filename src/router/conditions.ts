import { isNetworkError, isTimeoutError } from './policies/errors.ts';

/**
 * The outcomes a route can name in `retry.on`, `breaker.failureOn` and `failoverOn`:
 * a status class (`5xx`), an exact status (`503`, `429`), `network` (no response: refused,
 * reset) or `timeout` (the attempt's deadline passed).
 */
export const CONDITION_PATTERN = '^([1-5]xx|[1-5][0-9][0-9]|network|timeout)$';

/** A compiled condition list: status lookups are one array read. */
export interface ConditionSet {
  readonly source: readonly string[];
  status(code: number): boolean;
  error(error: unknown): boolean;
}

/**
 * @example
 *   const retryOn = conditionSet(['5xx', '429', 'network']);
 *   retryOn.status(503) // true
 */
export function conditionSet(list: readonly string[]): ConditionSet {
  const statuses = new Uint8Array(600);
  let network = false;
  let timeout = false;
  for (const c of list) {
    if (c === 'network') network = true;
    else if (c === 'timeout') timeout = true;
    else if (/^[1-5]xx$/.test(c)) statuses.fill(1, Number(c[0]) * 100, Number(c[0]) * 100 + 100);
    else if (/^[1-5]\d\d$/.test(c)) statuses[Number(c)] = 1;
    else throw new RangeError(`unknown condition ${JSON.stringify(c)} (write 5xx, 503, network or timeout)`);
  }
  return {
    source: list,
    status: (code) => statuses[code] === 1,
    error: (e) => (network && isNetworkError(e)) || (timeout && isTimeoutError(e)),
  };
}
