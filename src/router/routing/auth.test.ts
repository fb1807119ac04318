import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { createJwtAuth, jwtOptionProblems, loadJwtAuth, loadJwtKeys, type JwtAuth, type JwtAuthOptions } from './auth.ts';

const NOW = 1_700_000_000_000; // ms
const NOW_S = NOW / 1000;
const enc = new TextEncoder();
const SECRET = enc.encode('a-32-byte-secret-for-hs256-tests!!');

let rsa: { publicKey: CryptoKey; privateKey: CryptoKey };
let rsaOther: { privateKey: CryptoKey };
let ec: { publicKey: CryptoKey; privateKey: CryptoKey };
let rsaPem: string;
let auth: JwtAuth;
const clock = new FakeClock(NOW);

async function sign(claims: JWTPayload, alg: string, key: CryptoKey | Uint8Array, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key);
}
const good = (extra: JWTPayload = {}): JWTPayload => ({ sub: 'user-1', iss: 'https://id.example.test', aud: 'orders', exp: NOW_S + 300, iat: NOW_S, ...extra });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function make(over: Partial<JwtAuthOptions> = {}): Promise<JwtAuth> {
  const made = await createJwtAuth({
    algorithms: ['HS256', 'RS256', 'ES256'],
    keys: { secret: SECRET, publicKeys: [{ pem: rsaPem, alg: 'RS256', kid: 'rsa-1' }], jwks: { keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' }] } },
    issuer: 'https://id.example.test',
    audience: 'orders',
    clockSkew: 30_000,
    clock,
    ...over,
  });
  if (!made.ok) throw new Error(made.problems.join('\n'));
  return made.auth;
}

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  rsaOther = await generateKeyPair('RS256');
  ec = await generateKeyPair('ES256', { extractable: true });
  rsaPem = await exportSPKI(rsa.publicKey);
  auth = await make();
});

describe('JWT auth: accepts', () => {
  it('HS256 with the secret, RS256 with a PEM key, ES256 from a JWKS', async () => {
    for (const [alg, key, kid] of [
      ['HS256', SECRET, undefined],
      ['RS256', undefined, 'rsa-1'],
      ['ES256', undefined, 'ec-1'],
    ] as const) {
      const signingKey = key ?? (alg === 'RS256' ? rsa.privateKey : ec.privateKey);
      const r = await auth.authenticate(bearer(await sign(good(), alg, signingKey, kid ? { kid } : {})));
      expect(r).toMatchObject({ ok: true, alg, claims: { sub: 'user-1' } });
    }
  });

  it('a token without a kid, when one key of its alg fits', async () => {
    const r = await auth.verify(await sign(good(), 'RS256', rsa.privateKey));
    expect(r.ok).toBe(true);
  });

  it('a token without a kid when several keys fit its alg (key rotation): tries each', async () => {
    const next = await generateKeyPair('RS256', { extractable: true });
    const rotating = await make({
      algorithms: ['RS256'],
      keys: { publicKeys: [{ pem: rsaPem, alg: 'RS256' }, { pem: await exportSPKI(next.publicKey), alg: 'RS256' }] },
    });
    expect((await rotating.verify(await sign(good(), 'RS256', next.privateKey))).ok).toBe(true);
    expect((await rotating.verify(await sign(good(), 'RS256', rsa.privateKey))).ok).toBe(true);
    expect(await rotating.verify(await sign(good(), 'RS256', rsaOther.privateKey))).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('an expired token still inside the clock skew, judged at the injected clock', async () => {
    const token = await sign(good({ exp: NOW_S - 20 }), 'HS256', SECRET);
    expect((await auth.verify(token)).ok).toBe(true);
    clock.advance(15_000); // 35 s past exp: beyond the 30 s skew
    expect(await auth.verify(token)).toMatchObject({ ok: false, reason: 'expired' });
    clock.advance(-15_000);
  });
});

describe('JWT auth: rejects, with a 401 and a reason', () => {
  it('no token: a bare challenge (RFC 6750 §3.1)', async () => {
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }]) {
      expect(await auth.authenticate(headers)).toEqual({
        ok: false,
        status: 401,
        reason: 'missing_token',
        message: expect.any(String),
        wwwAuthenticate: 'Bearer realm="faultline"',
      });
    }
  });

  it('alg: none', async () => {
    const token = new UnsecuredJWT(good()).encode();
    const r = await auth.verify(token);
    expect(r).toMatchObject({ ok: false, status: 401, reason: 'alg_not_allowed' });
    if (!r.ok) expect(r.wwwAuthenticate).toBe(`Bearer realm="faultline", error="invalid_token", error_description="the token's algorithm is not accepted"`);
  });

  it('an algorithm not on the allow-list, even with a valid signature', async () => {
    const rsOnly = await make({ algorithms: ['RS256'], keys: { publicKeys: [{ pem: rsaPem, alg: 'RS256' }] } });
    expect(await rsOnly.verify(await sign(good(), 'HS256', SECRET))).toMatchObject({ reason: 'alg_not_allowed' });
    expect(await auth.verify(await sign(good(), 'HS384', enc.encode('x'.repeat(48))))).toMatchObject({ reason: 'alg_not_allowed' });
  });

  it('algorithm confusion: an HS256 token signed with the RS256 public key as its secret', async () => {
    const forged = await sign(good({ sub: 'admin' }), 'HS256', enc.encode(rsaPem));
    // HS256 not allowed: refused before any key is looked at.
    const rsOnly = await make({ algorithms: ['RS256'], keys: { publicKeys: [{ pem: rsaPem, alg: 'RS256' }] } });
    expect(await rsOnly.verify(forged)).toMatchObject({ ok: false, reason: 'alg_not_allowed' });
    // HS256 allowed too: the forged token meets the real secret, never the public key.
    expect(await auth.verify(forged)).toMatchObject({ ok: false, reason: 'bad_signature' });
    // Also with the public key's JWK form as the secret.
    const forgedJwk = await sign(good(), 'HS256', enc.encode(JSON.stringify(await exportJWK(rsa.publicKey))));
    expect(await auth.verify(forgedJwk)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('a configuration that would allow algorithm confusion is refused before it starts', async () => {
    const made = await createJwtAuth({ algorithms: ['HS256', 'RS256'], keys: { secret: enc.encode(rsaPem), publicKeys: [{ pem: rsaPem, alg: 'RS256' }] }, clock });
    expect(made.ok).toBe(false);
    if (!made.ok) expect(made.problems.join('\n')).toMatch(/algorithm-confusion/);
    expect(jwtOptionProblems({ algorithms: ['RS256'], keys: { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } } })).toEqual([
      'jwks.keys[0]: a symmetric (oct) key in a JWKS; keep shared secrets in `secret`',
    ]);
    expect(jwtOptionProblems({ algorithms: ['HS256'], keys: { secret: enc.encode('short') } })).toEqual([
      'secret: HS256 needs a secret of at least 32 bytes (RFC 7518 §3.2); this one has 5',
    ]);
    expect(jwtOptionProblems({ algorithms: ['ES256', 'HS256'], keys: {} })).toEqual(['algorithms: HS256 need a secret', 'algorithms: ES256 need public keys or a JWKS']);
  });

  it('a bad signature: tampered payload, or signed by another key', async () => {
    const token = await sign(good(), 'RS256', rsa.privateKey, { kid: 'rsa-1' });
    const [h, , s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify(good({ sub: 'admin' }))).toString('base64url')}.${s}`;
    expect(await auth.verify(tampered)).toMatchObject({ reason: 'bad_signature' });
    expect(await auth.verify(await sign(good(), 'RS256', rsaOther.privateKey, { kid: 'rsa-1' }))).toMatchObject({ reason: 'bad_signature' });
    expect(await auth.verify(await sign(good(), 'HS256', enc.encode('another-32-byte-secret-entirely!!')))).toMatchObject({ reason: 'bad_signature' });
  });

  it('expired, not yet valid, and without an expiry', async () => {
    expect(await auth.verify(await sign(good({ exp: NOW_S - 31 }), 'HS256', SECRET))).toMatchObject({ reason: 'expired', message: 'the token expired' });
    expect(await auth.verify(await sign(good({ nbf: NOW_S + 60 }), 'HS256', SECRET))).toMatchObject({ reason: 'not_yet_valid' });
    const { exp: _, ...noExp } = good();
    expect(await auth.verify(await sign(noExp, 'HS256', SECRET))).toMatchObject({ reason: 'missing_claim', message: 'the token has no "exp" claim' });
  });

  it('the wrong issuer or audience', async () => {
    expect(await auth.verify(await sign(good({ iss: 'https://evil.example' }), 'HS256', SECRET))).toMatchObject({ reason: 'wrong_issuer' });
    expect(await auth.verify(await sign(good({ aud: 'billing' }), 'HS256', SECRET))).toMatchObject({ reason: 'wrong_audience' });
  });

  it('an unknown kid', async () => {
    expect(await auth.verify(await sign(good(), 'RS256', rsa.privateKey, { kid: 'rotated-away' }))).toMatchObject({ reason: 'unknown_key' });
  });

  it('garbage', async () => {
    for (const token of ['abc', 'a.b.c', '...', '']) expect(await auth.verify(token)).toMatchObject({ ok: false, reason: 'malformed' });
    // A well-formed HS256 header with an empty signature: jose checks the signature first.
    expect(await auth.verify('eyJhbGciOiJIUzI1NiJ9..')).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(await auth.authenticate({ authorization: 'Bearer not a token' })).toMatchObject({ reason: 'malformed' });
    expect(await auth.authenticate({ authorization: ['Bearer x.y', 'Bearer z'] })).toMatchObject({ ok: false });
  });

  it('never throws, whatever the header holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bearer ${s}`),
          fc.array(fc.base64String(), { minLength: 3, maxLength: 3 }).map((p) => `Bearer ${p.join('.')}`),
          fc.tuple(fc.json(), fc.json()).map(([h, p]) => `Bearer ${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}.sig`),
        ),
        async (value) => {
          const r = await auth.authenticate({ authorization: value });
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.status).toBe(401);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('JWT auth: keys from files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-jwt-'));
    await writeFile(join(dir, 'rs.pem'), rsaPem);
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' }] }));
    await writeFile(join(dir, 'bad.json'), '{"nope": 1}');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads PEM and JWKS files relative to the config, and the secret from the environment', async () => {
    const made = await loadJwtAuth(
      { algorithms: ['HS256', 'RS256', 'ES256'], keys: { secret: { env: 'ORDERS_SECRET' }, publicKeys: [{ file: 'rs.pem', alg: 'RS256' }], jwks: 'jwks.json' }, audience: 'orders' },
      dir,
      clock,
      { ORDERS_SECRET: new TextDecoder().decode(SECRET) },
    );
    expect(made.ok).toBe(true);
    if (!made.ok) return;
    expect((await made.auth.verify(await sign(good(), 'ES256', ec.privateKey, { kid: 'ec-1' }))).ok).toBe(true);
    expect((await made.auth.verify(await sign(good(), 'RS256', rsa.privateKey))).ok).toBe(true);
    expect((await made.auth.verify(await sign(good(), 'HS256', SECRET))).ok).toBe(true);
  });

  it('says what is missing or broken', async () => {
    const r = await loadJwtKeys({ secret: { env: 'UNSET_FAULTLINE_VAR' }, publicKeys: [{ file: 'missing.pem', alg: 'RS256' }], jwks: 'bad.json' }, dir, {});
    expect(r).toEqual({
      ok: false,
      problems: [
        'secret: environment variable UNSET_FAULTLINE_VAR is not set',
        'publicKeys: cannot read missing.pem: ENOENT',
        'jwks: bad.json is not a JSON Web Key Set ({"keys": [...]})',
      ],
    });
  });
});
