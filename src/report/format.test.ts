import { describe, expect, it } from 'vitest';
import { formatPercent, formatSloPair, formatUnitValue, outcome, sloMiss } from './format.ts';

describe('outcome', () => {
  it('reads the verdict against what the scenario expects', () => {
    expect(outcome({ verdict: 'pass', expected: 'pass' })).toMatchObject({ label: 'PASS', asExpected: true });
    expect(outcome({ verdict: 'fail', expected: 'pass' })).toMatchObject({ label: 'FAIL', asExpected: false });
    expect(outcome({ verdict: 'fail', expected: 'fail' })).toMatchObject({ label: 'EXPECTED FAIL', asExpected: true });
    expect(outcome({ verdict: 'pass', expected: 'fail' })).toMatchObject({ label: 'UNEXPECTED PASS', asExpected: false });
  });
});

describe('formatting by unit', () => {
  it('writes percent with a space and at most two decimals', () => {
    expect(formatPercent(0.9952)).toBe('99.52 %');
    expect(formatPercent(0.995)).toBe('99.5 %');
    expect(formatPercent(1)).toBe('100 %');
  });

  it('writes ms through formatDuration, and the other units plainly', () => {
    expect(formatUnitValue(612.4, 'ms')).toBe('612.4ms');
    expect(formatUnitValue(1830, 'ms')).toBe('1.83s');
    expect(formatUnitValue(0, 'ms')).toBe('0ms');
    expect(formatUnitValue(1.2346, 'ratio')).toBe('1.235');
    expect(formatUnitValue(12345, 'count')).toBe('12,345');
    expect(formatUnitValue(49.871, 'per_second')).toBe('49.87/s');
  });

  it('adds decimals until a value and a different threshold no longer print the same', () => {
    expect(formatSloPair({ value: 0.99996, threshold: 1, unit: 'percent' })).toEqual({ value: '99.996 %', threshold: '100 %' });
    expect(formatSloPair({ value: 400.04, threshold: 400, unit: 'ms' })).toEqual({ value: '400.04ms', threshold: '400ms' });
    expect(formatSloPair({ value: 1, threshold: 1, unit: 'percent' })).toEqual({ value: '100 %', threshold: '100 %' });
    expect(formatSloPair({ value: null, threshold: 0.99, unit: 'percent' })).toEqual({ value: '—', threshold: '99 %' });
  });
});

describe('sloMiss', () => {
  const base = { passed: false, range: [0, 1000] as [number, number] };

  it('says how far a failed SLO missed, in its unit', () => {
    expect(sloMiss({ ...base, value: 612.4, threshold: 400, unit: 'ms', comparator: '<' })).toBe('over by 212.4ms');
    expect(sloMiss({ ...base, value: 0.971, threshold: 0.99, unit: 'percent', comparator: '>=' })).toBe('short by 1.9 points');
    expect(sloMiss({ ...base, value: 400, threshold: 400, unit: 'ms', comparator: '<' })).toBe('at the limit');
    expect(sloMiss({ ...base, value: 3, threshold: 0, unit: 'count', comparator: '==' })).toBe('off by 3');
  });

  it('is null for a passed SLO and explains a missing value', () => {
    expect(sloMiss({ ...base, passed: true, value: 1, threshold: 2, unit: 'count', comparator: '<' })).toBeNull();
    expect(sloMiss({ ...base, value: null, threshold: 2, unit: 'count', comparator: '<' })).toBe('no samples in the window');
    expect(sloMiss({ ...base, range: null, value: null, threshold: 2, unit: 'count', comparator: '<' })).toBe('window never opened');
  });
});
