import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPECTED_STATUS, isSuccess, meetsExpectation } from './success.ts';

describe('the success rule', () => {
  it('is 2xx and 3xx by default', () => {
    expect(DEFAULT_EXPECTED_STATUS).toEqual(['2xx', '3xx']);
    expect([200, 204, 301, 399].every((s) => meetsExpectation(s))).toBe(true);
    expect([0, 101, 400, 401, 404, 429, 500, 503].some((s) => meetsExpectation(s))).toBe(false);
  });

  it('takes exact statuses and classes, and never counts a request without an answer', () => {
    expect(meetsExpectation(404, [200, 201, 404])).toBe(true);
    expect(meetsExpectation(500, [200, 201, 404])).toBe(false);
    expect(meetsExpectation(429, ['2xx', 429])).toBe(true);
    expect(meetsExpectation(418, ['4XX'])).toBe(true);
    expect(meetsExpectation(0, ['2xx', '4xx', '5xx'])).toBe(false);
  });

  it("prefers a record's own verdict", () => {
    expect(isSuccess({ status: 401, ok: true })).toBe(true);
    expect(isSuccess({ status: 200, ok: false })).toBe(false);
    expect(isSuccess({ status: 404 })).toBe(false);
  });
});
