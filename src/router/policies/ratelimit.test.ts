import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { clientAddress, compileTrustedProxies, normaliseAddress, TrustedProxies, trustedProxyProblem } from './client-address.ts';
import { RateLimitedError } from './errors.ts';
import { compileRateLimit, ipv6Network, OVERFLOW_KEY, RateLimiter, type RateLimitOptions } from './ratelimit.ts';
import { collectIssues } from './testing.ts';

describe('RateLimiter: sliding window', () => {
  it('admits 100 requests per minute per client, and says when the next one would be', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 100, window: 60_000 }, clock);
    for (let i = 0; i < 100; i++) {
      expect(limiter.take('203.0.113.7')).toBe(0);
      clock.advance(100);
    }
    // 100 admitted between 0 and 9.9 s; the oldest leaves the window at 60 s.
    expect(limiter.take('203.0.113.7')).toBe(60_000 - 10_000);
    expect(limiter.take('198.51.100.1')).toBe(0); // another client has its own limit
    clock.advance(50_000);
    expect(limiter.take('203.0.113.7')).toBe(0);
  });

  it('rejects through execute with RateLimitedError carrying the wait', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 1, window: 1_000 }, clock);
    await limiter.execute(async () => 1, { client: 'a' });
    const err = await limiter.execute(async () => 1, { client: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(1_000);
  });
});

describe('RateLimiter: token bucket', () => {
  it('allows a burst, then the refill rate', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ algorithm: 'token-bucket', limit: 60, window: 60_000, burst: 5 }, clock);
    expect([1, 2, 3, 4, 5, 6].map(() => limiter.take('c'))).toEqual([0, 0, 0, 0, 0, 1_000]);
    clock.advance(1_000);
    expect(limiter.take('c')).toBe(0);
    expect(limiter.take('c')).toBe(1_000);
  });
});

/** Admission times per client from a script of (gap, client) requests. */
function run(options: RateLimitOptions, script: Array<{ gap: number; client: number }>) {
  const clock = new FakeClock();
  const limiter = new RateLimiter(options, clock);
  const admitted = new Map<number, number[]>();
  for (const { gap, client } of script) {
    clock.advance(gap);
    if (limiter.take(`10.0.0.${client}`) === 0) admitted.set(client, [...(admitted.get(client) ?? []), clock.now()]);
  }
  return { admitted, limiter };
}

describe('RateLimiter: invariants', () => {
  // Few clients and a small table, so entries churn between the table and the overflow.
  const script = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 400 }), client: fc.integer({ min: 0, max: 5 }) }), { maxLength: 300 });

  it('sliding window: never more than `limit` admissions for a client in any window, even as the client table churns', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3_000 }), fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), script, (limit, window, maxClients, s) => {
        const { admitted, limiter } = run({ algorithm: 'sliding-window', limit, window, ...(maxClients !== undefined && { maxClients }) }, s);
        for (const times of admitted.values()) {
          // Every window (t − window, t] ending at an admission holds at most `limit` of them.
          for (const t of times) expect(times.filter((u) => u > t - window && u <= t).length).toBeLessThanOrEqual(limit);
        }
        if (maxClients !== undefined) expect(limiter.size).toBeLessThanOrEqual(maxClients);
      }),
      { numRuns: 300 },
    );
  });

  it('token bucket: never more than burst + rate·T admissions for a client in any interval of length T', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 100, max: 3_000 }), fc.integer({ min: 1, max: 8 }), fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), script, (limit, window, burst, maxClients, s) => {
        const { admitted, limiter } = run({ algorithm: 'token-bucket', limit, window, burst, ...(maxClients !== undefined && { maxClients }) }, s);
        const rate = limit / window;
        for (const times of admitted.values()) {
          for (let i = 0; i < times.length; i++) {
            for (let j = i; j < times.length; j++) expect(j - i + 1).toBeLessThanOrEqual(burst + rate * (times[j]! - times[i]!) + 1e-9);
          }
        }
        if (maxClients !== undefined) expect(limiter.size).toBeLessThanOrEqual(maxClients);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a client’s overflow history when it gets an entry of its own', () => {
    // A fills the one-entry table; B shares the overflow at 500; at 1000 A is idle and B gets
    // an entry: starting fresh would admit B twice within one window.
    const { admitted } = run({ algorithm: 'sliding-window', limit: 1, window: 1_000, maxClients: 1 }, [
      { gap: 0, client: 1 },
      { gap: 500, client: 2 },
      { gap: 500, client: 2 },
    ]);
    expect(admitted.get(2)).toEqual([500]);
  });

  it('bounds memory under a flood of new addresses: they share one overflow entry, and nobody’s limit resets', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 2, window: 1_000, maxClients: 3 }, clock);
    for (let i = 0; i < 1_000; i++) limiter.take(`198.51.100.${i % 250}.${i}`);
    expect(limiter.size).toBe(3);
    expect(limiter.state(OVERFLOW_KEY)).toMatchObject({ kind: 'sliding-window' });
    // Once the flood's entries go idle, new clients get entries of their own again.
    clock.advance(1_000);
    expect(limiter.take('203.0.113.1')).toBe(0);
    expect(limiter.state('203.0.113.1')).toEqual({ kind: 'sliding-window', admitted: [1_000] });
  });
});

describe('RateLimiter: IPv6 networks', () => {
  it('limits an IPv6 client per /64, so fresh addresses from one network do not reset its limit', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 3, window: 60_000 }, clock);
    const own = ['2001:db8:0:1::1', '2001:db8:0:1:ffff::2', '2001:db8:0:1:1:2:3:4'];
    for (const a of own) expect(limiter.take(a)).toBe(0);
    expect(limiter.take('2001:db8:0:1:dead:beef:0:9')).toBeGreaterThan(0);
    // The next /64 is somebody else; IPv4 clients are still one address each.
    expect(limiter.take('2001:db8:0:2::1')).toBe(0);
    for (let i = 0; i < 3; i++) expect(limiter.take('203.0.113.7')).toBe(0);
    expect(limiter.take('203.0.113.8')).toBe(0);
    expect(limiter.size).toBe(4);
  });

  it('limits each address on its own with ipv6Prefix 128, and per /48 with 48', () => {
    const per = (ipv6Prefix: number) => new RateLimiter({ algorithm: 'token-bucket', limit: 1, window: 60_000, ipv6Prefix }, new FakeClock());
    const each = per(128);
    expect(each.take('2001:db8::1')).toBe(0);
    expect(each.take('2001:db8::2')).toBe(0);
    const wide = per(48);
    expect(wide.take('2001:db8:1:aaaa::1')).toBe(0);
    expect(wide.take('2001:db8:1:bbbb::1')).toBeGreaterThan(0);
  });

  it('names the network of any spelling of an address', () => {
    expect(ipv6Network('2001:DB8:0:1:aaaa::7', 64)).toBe('2001:db8:0:1::/64');
    expect(ipv6Network('2001:db8::', 64)).toBe('2001:db8:0:0::/64');
    expect(ipv6Network('::1', 64)).toBe('0:0:0:0::/64');
    expect(ipv6Network('fe80::1%eth0', 64)).toBe('fe80:0:0:0::/64');
    expect(ipv6Network('64:ff9b::192.0.2.33', 128)).toBe('64:ff9b:0:0:0:0:c000:221/128');
    expect(ipv6Network('2001:db8:abcd:12ff::1', 56)).toBe('2001:db8:abcd:1200::/56');
    expect(ipv6Network('2001:db8:abcd:1234::1', 1)).toBe('0::/1');
    expect(ipv6Network('203.0.113.7', 64)).toBeUndefined();
    expect(ipv6Network('not an address', 64)).toBeUndefined();
  });

  it('gives the same network to every address inside it, and different ones to addresses outside (property)', () => {
    const hextet = fc.integer({ min: 0, max: 0xffff });
    const address = fc.array(hextet, { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(address, address, fc.integer({ min: 1, max: 128 }), (a, b, bits) => {
        const text = (g: number[]) => g.map((n) => n.toString(16)).join(':');
        // b moved into a's network: a's first `bits` bits, b's remaining ones.
        const inside = a.map((n, i) => {
          const keep = Math.max(0, Math.min(16, bits - i * 16));
          const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
          return (n & mask) | (b[i]! & ~mask & 0xffff);
        });
        expect(ipv6Network(text(inside), bits)).toBe(ipv6Network(text(a), bits));
        const sameNetwork = a.every((n, i) => {
          const keep = Math.max(0, Math.min(16, bits - i * 16));
          const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
          return (n & mask) === (b[i]! & mask);
        });
        expect(ipv6Network(text(b), bits) === ipv6Network(text(a), bits)).toBe(sameNetwork);
      }),
    );
  });
});

describe('clientAddress', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '127.0.0.1', '::1']);

  it('takes the rightmost address that is not a trusted proxy', () => {
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.7, 10.0.0.1', proxies)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:10.0.0.2', ['6.6.6.6', '203.0.113.7'], proxies)).toBe('203.0.113.7');
    expect(clientAddress('::1', '2001:db8::5', proxies)).toBe('2001:db8::5');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: it cannot be spoofed', () => {
    expect(clientAddress('203.0.113.9', '1.2.3.4', proxies)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', '10.0.0.1', proxies)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', undefined, new TrustedProxies())).toBe('203.0.113.9');
  });

  it('gives a spoofing client behind a trusted proxy one key, whatever it writes to the left', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), { maxLength: 5 }), (forged) => {
        const header = [...forged, '203.0.113.7'].join(', ');
        expect(clientAddress('10.0.0.1', header, proxies)).toBe('203.0.113.7');
      }),
    );
  });

  it('takes the leftmost when every hop is trusted, and normalises addresses', () => {
    expect(clientAddress('127.0.0.1', '10.1.1.1, 10.2.2.2', proxies)).toBe('10.1.1.1');
    expect(normaliseAddress('[2001:DB8::1]:443')).toBe('2001:db8::1');
    expect(normaliseAddress('192.0.2.1:8080')).toBe('192.0.2.1');
    expect(clientAddress(undefined, '1.2.3.4', proxies)).toBe('unknown');
  });

  it('refuses entries that are neither an address nor a range', () => {
    expect(trustedProxyProblem('10.0.0.0/8')).toBeUndefined();
    expect(trustedProxyProblem('10.0.0.0/33')).toMatch(/prefix/);
    expect(trustedProxyProblem('localhost')).toMatch(/not an IP address/);
    expect(() => new TrustedProxies(['nope'])).toThrow(RangeError);
  });
});

describe('rate limit and client config', () => {
  it('compiles the window to ms, sliding-window by default', () => {
    const { issue, issues } = collectIssues();
    expect(compileRateLimit({ limit: 10, window: '1m' }, ['rateLimit'], issue)).toEqual({ algorithm: 'sliding-window', limit: 10, window: 60_000 });
    expect(compileRateLimit({ limit: 10, window: '1s', algorithm: 'token-bucket', burst: 20, ipv6Prefix: 56 }, ['rateLimit'], issue)).toEqual({
      algorithm: 'token-bucket',
      limit: 10,
      window: 1_000,
      burst: 20,
      ipv6Prefix: 56,
    });
    expect(issues).toEqual([]);
  });

  it('reports a burst without a token bucket and compiles nothing', () => {
    const { issue, issues } = collectIssues();
    expect(compileRateLimit({ limit: 10, window: '1s', burst: 5 }, ['routes', 1, 'rateLimit'], issue)).toBeUndefined();
    expect(issues).toEqual(['routes.1.rateLimit.burst: burst applies to the token-bucket algorithm only']);
  });

  it('checks each trusted proxy entry at its index', () => {
    const { issue, issues } = collectIssues();
    expect(compileTrustedProxies({ trustedProxies: ['10.0.0.0/8', 'nope'] }, ['clients'], issue)).toEqual(['10.0.0.0/8', 'nope']);
    expect(compileTrustedProxies(undefined, ['clients'], issue)).toBeUndefined();
    expect(issues).toEqual(['clients.trustedProxies.1: "nope" is not an IP address or CIDR range (write e.g. 10.0.0.0/8, 127.0.0.1 or ::1)']);
  });
});
