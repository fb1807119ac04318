/**
 * JWT bearer authentication for chosen routes, on `jose`: `Authorization: Bearer <jwt>`
 * verified against configured keys, with an explicit algorithm allow-list. Every failure is
 * a value — a 401 with an RFC 6750 `WWW-Authenticate` challenge and a reason code — never a
 * throw, whatever the client sends.
 *
 * What is refused, and how (`reason` in brackets):
 *
 * - `alg: none` [alg_not_allowed]: jose never accepts unsecured JWTs.
 * - An algorithm not configured [alg_not_allowed]: the `algorithms` allow-list is checked
 *   before any key is looked at.
 * - Algorithm confusion, an RS256 public key used as an HS256 secret [alg_not_allowed when
 *   HS256 is not allowed, else bad_signature]: the token's alg only picks the key *family* —
 *   HS* tokens only ever meet the configured secret, RS/PS/ES/EdDSA tokens only public keys —
 *   and a secret that is a PEM or JWK public key is refused when the verifier is built.
 * - Expired, not yet valid [expired, not_yet_valid]: `exp` is required by default and judged
 *   at the injected clock's time (jose's `currentDate`), within `clockSkew`.
 * - A bad signature [bad_signature], an unknown `kid` [unknown_key].
 * - The wrong issuer or audience [wrong_issuer, wrong_audience], when configured.
 * - Anything jose cannot parse [malformed]; no credentials at all [missing_token, with a
 *   bare challenge and no error code, RFC 6750 §3.1].
 *
 * @example
 *   const made = await createJwtAuth({ algorithms: ['RS256'], keys: { jwks }, issuer: 'https://id.example', audience: 'orders', clock });
 *   if (!made.ok) throw new Error(made.problems.join('\n'));
 *   const r = await made.auth.authenticate(req.headers);
 *   if (!r.ok) return { status: 401, headers: { 'www-authenticate': r.wwwAuthenticate }, body: r.message };
 *   r.claims.sub; // the verified subject
 */
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyOptions } from 'jose';
import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import { DURATION_PATTERN, parseDuration } from '../../core/units.ts';
import { counting, NOT_READ, type ConfigMaterial, type ConfigPath, type FileRead, type Issue } from '../schema-kit.ts';
import { header, type Headers } from './request.ts';

export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const isHmac = (alg: string) => alg.startsWith('HS');
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output. */
const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

/** Verification keys. Symmetric and asymmetric keys are kept apart: that is the confusion defence. */
export interface JwtKeys {
  /** The shared secret for HS256/384/512. */
  secret?: Uint8Array;
  /** Public keys in SPKI PEM, each for one algorithm, optionally named by `kid`. */
  publicKeys?: ReadonlyArray<{ pem: string; alg: JwtAlgorithm; kid?: string }>;
  /** A JSON Web Key Set of public keys (a local JWKS file's contents). */
  jwks?: JSONWebKeySet;
}

export interface JwtAuthOptions {
  /** Accepted `alg` values; a token with any other is refused before its key is looked up. */
  algorithms: readonly JwtAlgorithm[];
  keys: JwtKeys;
  /** Required `iss` (one of). */
  issuer?: string | readonly string[];
  /** Required `aud` (one of). */
  audience?: string | readonly string[];
  /** Tolerated clock difference for `exp` and `nbf`, ms. Default 30 000. */
  clockSkew?: number;
  /** Claims that must be present. Default `['exp']`: a token without an expiry lives for ever. */
  requiredClaims?: readonly string[];
  /** The `realm` of the challenge. Default `faultline`. */
  realm?: string;
  /** Whose time decides expiry (a FakeClock in tests). */
  clock: Clock;
}

/** Every reason a token is refused (`auth_rejections_total{reason}`). */
export const AUTH_FAILURES = [
  'missing_token',
  'malformed',
  'alg_not_allowed',
  'unknown_key',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'wrong_issuer',
  'wrong_audience',
  'missing_claim',
  'invalid_claims',
] as const;
export type AuthFailure = (typeof AUTH_FAILURES)[number];

export type AuthResult =
  | { ok: true; claims: JWTPayload; alg: string; kid?: string }
  | {
      ok: false;
      status: 401;
      reason: AuthFailure;
      /** Said to the client: what is wrong, never which key or secret. */
      message: string;
      /** The `WWW-Authenticate` header value (RFC 6750 §3). */
      wwwAuthenticate: string;
    };

export interface JwtAuth {
  /** Reads `Authorization: Bearer` from the headers and verifies it. */
  authenticate(headers: Headers): Promise<AuthResult>;
  /** Verifies a bare token. */
  verify(token: string): Promise<AuthResult>;
}

/** Problems with a JWT configuration that would make it unsafe or unusable; empty when sound. */
export function jwtOptionProblems(o: Pick<JwtAuthOptions, 'algorithms' | 'keys'>): string[] {
  const problems: string[] = [];
  if (o.algorithms.length === 0) problems.push('algorithms: list at least one algorithm');
  for (const alg of o.algorithms) {
    if (!(JWT_ALGORITHMS as readonly string[]).includes(alg)) problems.push(`algorithms: ${JSON.stringify(alg)} is not supported (one of ${JWT_ALGORITHMS.join(', ')})`);
  }
  const hmac = o.algorithms.filter(isHmac);
  const asym = o.algorithms.filter((a) => !isHmac(a));
  const secret = o.keys.secret;
  if (hmac.length > 0 && !secret) problems.push(`algorithms: ${hmac.join(', ')} need a secret`);
  if (secret) {
    if (hmac.length === 0) problems.push('secret: no HS algorithm is allowed, so the secret would never be used; remove it or allow HS256');
    const text = new TextDecoder().decode(secret);
    if (/-----BEGIN [A-Z ]*KEY-----/.test(text) || /^\s*\{\s*"kty"/.test(text)) {
      problems.push('secret: this is a public key, not a shared secret; using a public key as an HMAC secret is the algorithm-confusion attack');
    }
    for (const alg of hmac) {
      const min = HMAC_MIN_BYTES[alg]!;
      if (secret.byteLength < min) problems.push(`secret: ${alg} needs a secret of at least ${min} bytes (RFC 7518 §3.2); this one has ${secret.byteLength}`);
    }
  }
  const hasPublic = (o.keys.publicKeys?.length ?? 0) > 0 || (o.keys.jwks?.keys.length ?? 0) > 0;
  if (asym.length > 0 && !hasPublic) problems.push(`algorithms: ${asym.join(', ')} need public keys or a JWKS`);
  for (const k of o.keys.publicKeys ?? []) {
    if (isHmac(k.alg)) problems.push(`publicKeys: ${k.alg} is a shared-secret algorithm; a public key is for RS/PS/ES/EdDSA`);
    else if (!o.algorithms.includes(k.alg)) problems.push(`publicKeys: a key for ${k.alg}, which is not in algorithms`);
  }
  for (const [i, k] of (o.keys.jwks?.keys ?? []).entries()) {
    if (k.kty === 'oct') problems.push(`jwks.keys[${i}]: a symmetric (oct) key in a JWKS; keep shared secrets in \`secret\``);
    if ('d' in k) problems.push(`jwks.keys[${i}]: a private key; a verifying JWKS holds public keys only`);
  }
  return problems;
}

/**
 * Builds a verifier: imports PEM keys, merges them into one local key set with the JWKS,
 * and checks the configuration (see `jwtOptionProblems`). The same as `buildJwtAuth`, as a
 * promise.
 */
export async function createJwtAuth(options: JwtAuthOptions): Promise<{ ok: true; auth: JwtAuth } | { ok: false; problems: string[] }> {
  return buildJwtAuth(options);
}

/** The SPKI PEM → JWK conversion `buildJwtAuth` does, or why the PEM is not a public key for `alg`. */
export function publicKeyJwk(pem: string, alg: JwtAlgorithm): { ok: true; jwk: JWK } | { ok: false; problem: string } {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return { ok: false, problem: 'this is a private key; a verifier needs the public key only (keep private keys out of the router)' };
  let jwk: JWK;
  try {
    jwk = createPublicKey({ key: pem, format: 'pem' }).export({ format: 'jwk' }) as JWK;
  } catch (err) {
    return { ok: false, problem: `not an SPKI public key for ${alg}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const fits =
    alg.startsWith('RS') || alg.startsWith('PS')
      ? jwk.kty === 'RSA'
      : alg === 'EdDSA'
        ? jwk.kty === 'OKP'
        : jwk.kty === 'EC' && jwk.crv === ({ ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as Record<string, string>)[alg];
  if (!fits) return { ok: false, problem: `not an SPKI public key for ${alg}: a ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''} key` };
  return { ok: true, jwk };
}

/**
 * `createJwtAuth` without the promise: PEM keys are converted with node:crypto, so a router
 * can build its verifiers when it is created.
 */
export function buildJwtAuth(options: JwtAuthOptions): { ok: true; auth: JwtAuth } | { ok: false; problems: string[] } {
  const problems = jwtOptionProblems(options);
  if (problems.length > 0) return { ok: false, problems };

  const jwks: JWK[] = [...(options.keys.jwks?.keys ?? [])];
  for (const [i, k] of (options.keys.publicKeys ?? []).entries()) {
    const converted = publicKeyJwk(k.pem, k.alg);
    if (!converted.ok) problems.push(`publicKeys[${i}]: ${converted.problem}`);
    else jwks.push({ ...converted.jwk, alg: k.alg, use: 'sig', ...(k.kid !== undefined && { kid: k.kid }) });
  }
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  if (jwks.length > 0) {
    try {
      keySet = createLocalJWKSet({ keys: jwks });
    } catch (err) {
      problems.push(`jwks: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const realm = options.realm ?? 'faultline';
  const secret = options.keys.secret;
  const base: Omit<JWTVerifyOptions, 'currentDate'> = {
    algorithms: [...options.algorithms],
    clockTolerance: (options.clockSkew ?? 30_000) / 1000,
    requiredClaims: [...(options.requiredClaims ?? ['exp'])],
    ...(options.issuer !== undefined && { issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer] }),
    ...(options.audience !== undefined && { audience: typeof options.audience === 'string' ? options.audience : [...options.audience] }),
  };

  // The token's alg picks the key *family*; jose then checks the key fits the alg exactly.
  const getKey = async (h: { alg?: string }) => {
    const alg = h.alg ?? '';
    if (isHmac(alg)) {
      if (!secret) throw new NoKey();
      return secret;
    }
    if (!keySet) throw new NoKey();
    return keySet(h);
  };

  async function verify(token: string): Promise<AuthResult> {
    const opts: JWTVerifyOptions = { ...base, currentDate: new Date(options.clock.now()) };
    try {
      const r = await jwtVerify(token, getKey, opts);
      return success(r.payload, r.protectedHeader);
    } catch (err) {
      // A JWKS with several keys for the alg and no kid in the token: try each.
      if (code(err) === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' && Symbol.asyncIterator in (err as object)) {
        let last: unknown = err;
        for await (const key of err as AsyncIterable<CryptoKey>) {
          try {
            const r = await jwtVerify(token, key, opts);
            return success(r.payload, r.protectedHeader);
          } catch (e) {
            last = e;
            if (code(e) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') break;
          }
        }
        return failure(realm, last);
      }
      return failure(realm, err);
    }
  }

  const auth: JwtAuth = {
    verify,
    async authenticate(headers: Headers): Promise<AuthResult> {
      const raw = header(headers, 'authorization');
      if (raw === undefined) return reject(realm, 'missing_token', 'this route needs a bearer token');
      const m = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(raw);
      if (!m) {
        return /^Bearer\b/i.test(raw)
          ? reject(realm, 'malformed', 'the bearer token is not a token')
          : reject(realm, 'missing_token', 'this route needs a bearer token (Authorization: Bearer <jwt>)');
      }
      return verify(m[1]!);
    },
  };
  return { ok: true, auth };
}

class NoKey extends Error {
  override readonly name = 'NoKey';
}

function success(claims: JWTPayload, h: { alg: string; kid?: string }): AuthResult {
  return { ok: true, claims, alg: h.alg, ...(h.kid !== undefined && { kid: h.kid }) };
}

function code(err: unknown): string | undefined {
  return err !== null && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined;
}

/** jose's error → a reason and words a client may read. */
function failure(realm: string, err: unknown): AuthResult {
  if (err instanceof NoKey) return reject(realm, 'alg_not_allowed', 'no key for the token\'s algorithm');
  const claim = (err as { claim?: string }).claim;
  const why = (err as { reason?: string }).reason;
  switch (code(err)) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return reject(realm, 'alg_not_allowed', 'the token\'s algorithm is not accepted');
    case 'ERR_JWT_EXPIRED':
      return reject(realm, 'expired', 'the token expired');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return reject(realm, 'bad_signature', 'the token\'s signature does not verify');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return reject(realm, 'unknown_key', 'no key matches the token\'s kid and algorithm');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (why === 'missing') return reject(realm, 'missing_claim', `the token has no "${claim}" claim`);
      if (claim === 'iss') return reject(realm, 'wrong_issuer', 'the token\'s issuer is not accepted');
      if (claim === 'aud') return reject(realm, 'wrong_audience', 'the token is not for this audience');
      if (claim === 'nbf') return reject(realm, 'not_yet_valid', 'the token is not valid yet');
      return reject(realm, 'invalid_claims', `the token's "${claim}" claim is invalid`);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return reject(realm, 'malformed', 'the token is malformed');
    default:
      // A key that does not fit the alg (jose's TypeError), or anything unforeseen: refuse.
      return reject(realm, err instanceof TypeError ? 'alg_not_allowed' : 'malformed', 'the token cannot be verified');
  }
}

function reject(realm: string, reason: AuthFailure, message: string): AuthResult {
  // RFC 6750 §3.1: a request with no credentials gets a bare challenge, without an error code.
  const challenge =
    reason === 'missing_token'
      ? `Bearer realm="${quote(realm)}"`
      : `Bearer realm="${quote(realm)}", error="invalid_token", error_description="${quote(message)}"`;
  return { ok: false, status: 401, reason, message, wwwAuthenticate: challenge };
}

function quote(s: string): string {
  return s.replace(/["\\]/g, '');
}

/** How a route's JWT keys are written in the router file (see `AuthSchema` below). */
export interface JwtKeySources {
  /** The HS secret: inline, or from an environment variable (keep secrets out of files). */
  secret?: { value: string } | { env: string };
  /** PEM files, relative to the config file. */
  publicKeys?: ReadonlyArray<{ file: string; alg: JwtAlgorithm; kid?: string }>;
  /** A JWKS JSON file, relative to the config file. */
  jwks?: string;
}

/**
 * Reads the key files and the secret's environment variable: the I/O edge of this module.
 *
 * @example
 *   const keys = await loadJwtKeys({ jwks: 'keys/jwks.json', secret: { env: 'JWT_SECRET' } }, dirname(configFile));
 */
export async function loadJwtKeys(
  sources: JwtKeySources,
  baseDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ ok: true; keys: JwtKeys } | { ok: false; problems: string[] }> {
  const files = new Map<string, string | NodeJS.ErrnoException>();
  const at = (f: string) => (isAbsolute(f) ? f : resolve(baseDir, f));
  for (const f of [...(sources.publicKeys ?? []).map((k) => k.file), ...(sources.jwks !== undefined ? [sources.jwks] : [])]) {
    try {
      files.set(at(f), await readFile(at(f), 'utf8'));
    } catch (err) {
      files.set(at(f), err as NodeJS.ErrnoException);
    }
  }
  return readJwtKeys(
    sources,
    (file) => {
      const got = files.get(at(file));
      if (typeof got === 'string') return got;
      throw got ?? new Error(`${file} was not read`);
    },
    env,
  );
}

/**
 * `loadJwtKeys` with a synchronous reader (`compileRouteAuth` reads from what the config's loader already read):
 * `read(file)` gets each file as written in the config and throws when it cannot.
 * Problems name the field: `secret: ...`, `publicKeys[0]: ...`, `jwks: ...`.
 */
export function readJwtKeys(
  sources: JwtKeySources,
  read: (file: string) => string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { ok: true; keys: JwtKeys } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const keys: JwtKeys = {};
  const why = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
  if (sources.secret) {
    const s = 'env' in sources.secret ? env[sources.secret.env] : sources.secret.value;
    if (s === undefined || s === '') problems.push(`secret: environment variable ${'env' in sources.secret ? sources.secret.env : ''} is not set`);
    else keys.secret = new TextEncoder().encode(s);
  }
  const pems: Array<{ pem: string; alg: JwtAlgorithm; kid?: string }> = [];
  for (const k of sources.publicKeys ?? []) {
    try {
      pems.push({ pem: read(k.file), alg: k.alg, ...(k.kid !== undefined && { kid: k.kid }) });
    } catch (err) {
      problems.push(`publicKeys: cannot read ${k.file}: ${why(err)}`);
    }
  }
  if (pems.length > 0) keys.publicKeys = pems;
  if (sources.jwks !== undefined) {
    try {
      const parsed = JSON.parse(read(sources.jwks)) as unknown;
      if (parsed === null || typeof parsed !== 'object' || !Array.isArray((parsed as { keys?: unknown }).keys)) problems.push(`jwks: ${sources.jwks} is not a JSON Web Key Set ({"keys": [...]})`);
      else keys.jwks = parsed as JSONWebKeySet;
    } catch (err) {
      problems.push(`jwks: cannot read ${sources.jwks}: ${err instanceof SyntaxError ? err.message : why(err)}`);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, keys };
}

/** A route's compiled `auth.jwt` (see `compileAuth` below): options with key sources in place of keys. */
export interface JwtAuthConfig extends Omit<JwtAuthOptions, 'keys' | 'clock'> {
  keys: JwtKeySources;
}

/**
 * Reads a route's keys and builds its verifier: what the router does once at start for each
 * route with `auth.jwt`. Problems (unreadable files, unsafe keys) come back as values.
 *
 * @example
 *   const made = await loadJwtAuth(route.auth.jwt, dirname(configFile), clock);
 *   if (!made.ok) return fail(made.problems);
 */
export async function loadJwtAuth(
  config: JwtAuthConfig,
  baseDir: string,
  clock: Clock,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ ok: true; auth: JwtAuth } | { ok: false; problems: string[] }> {
  const loaded = await loadJwtKeys(config.keys, baseDir, env);
  if (!loaded.ok) return loaded;
  return createJwtAuth({ ...config, keys: loaded.keys, clock });
}

// ---------------------------------------------------------------------------------------
// Config: a route's `auth` section of a router file, and its compile steps: to key sources
// (`compileAuth`), then to keys from what the loader read (`compileRouteAuth`).

const duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, expected: 'a duration like 250ms or 5s', description });

const Algorithm = Type.Union(
  [
    Type.Literal('HS256'),
    Type.Literal('HS384'),
    Type.Literal('HS512'),
    Type.Literal('RS256'),
    Type.Literal('RS384'),
    Type.Literal('RS512'),
    Type.Literal('PS256'),
    Type.Literal('PS384'),
    Type.Literal('PS512'),
    Type.Literal('ES256'),
    Type.Literal('ES384'),
    Type.Literal('ES512'),
    Type.Literal('EdDSA'),
  ],
  { expected: JWT_ALGORITHMS.join(', '), description: 'A JWS algorithm.' },
);
const OneOrMany = (description: string) => Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { expected: 'a string or a list of strings', description });

export const AuthSchema = Type.Object(
  {
    jwt: Type.Object(
      {
        algorithms: Type.Array(Algorithm, { minItems: 1, description: 'The accepted algorithms (allow-list). `none` is never accepted.' }),
        secret: Type.Optional(
          Type.Union(
            [
              Type.Object({ env: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Environment variable holding the secret.' }) }, { additionalProperties: false }),
              Type.Object({ value: Type.String({ minLength: 1, description: 'The secret itself (tests, fixtures).' }) }, { additionalProperties: false }),
            ],
            { expected: '{ env: NAME } or { value: ... }', description: 'The HS256/384/512 shared secret. Never a public key.' },
          ),
        ),
        publicKeys: Type.Optional(
          Type.Array(
            Type.Object(
              {
                file: Type.String({ minLength: 1, description: 'SPKI PEM file, relative to this config file.' }),
                alg: Algorithm,
                kid: Type.Optional(Type.String({ minLength: 1, description: 'Key id a token names in its header.' })),
              },
              { additionalProperties: false, description: 'A public key for one algorithm.' },
            ),
            { minItems: 1, description: 'Public keys (RS/PS/ES/EdDSA).' },
          ),
        ),
        jwks: Type.Optional(Type.String({ minLength: 1, description: 'A local JSON Web Key Set file of public keys, relative to this config file.' })),
        issuer: Type.Optional(OneOrMany('Accepted `iss`.')),
        audience: Type.Optional(OneOrMany('Accepted `aud`.')),
        clockSkew: Type.Optional(duration('Tolerated clock difference for exp/nbf. Default 30s.')),
        requiredClaims: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Claims a token must carry. Default [exp].' })),
      },
      { additionalProperties: false, description: 'Bearer JWT verification (jose).' },
    ),
  },
  { additionalProperties: false, description: 'Authentication required on this route: 401 with WWW-Authenticate otherwise.' },
);
export type AuthFile = Type.Static<typeof AuthSchema>;

export interface AuthConfig {
  /** Ready for `loadJwtAuth(config.jwt, dirname(configFile), clock)`. */
  jwt: JwtAuthConfig & { algorithms: JwtAlgorithm[]; clockSkew: number; requiredClaims: string[] };
}

/** `auth` as written → `AuthConfig`: keys stay file names until `loadJwtAuth` reads them. */
export function compileAuth(raw: AuthFile, at: (string | number)[], report: Issue): AuthConfig | undefined {
  const { report: issue, count } = counting(report);
  const j = raw.jwt;
  const jat = [...at, 'jwt'];
  const algorithms = [...new Set(j.algorithms)] as JwtAlgorithm[];
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  const asym = algorithms.filter((a) => !a.startsWith('HS'));
  if (hmac.length > 0 && !j.secret) issue([...jat, 'algorithms'], `${hmac.join(', ')} need a secret`);
  if (j.secret && hmac.length === 0) issue([...jat, 'secret'], 'no HS algorithm is allowed, so the secret would never be used');
  if (asym.length > 0 && !j.publicKeys && j.jwks === undefined) issue([...jat, 'algorithms'], `${asym.join(', ')} need publicKeys or a jwks file`);
  (j.publicKeys ?? []).forEach((k, i) => {
    if (k.alg.startsWith('HS')) issue([...jat, 'publicKeys', i, 'alg'], `${k.alg} is a shared-secret algorithm; public keys are for RS/PS/ES/EdDSA`);
    else if (!algorithms.includes(k.alg)) issue([...jat, 'publicKeys', i, 'alg'], `${k.alg} is not in algorithms`);
  });
  if (j.secret && 'value' in j.secret) {
    if (/-----BEGIN [A-Z ]*KEY-----/.test(j.secret.value)) {
      issue([...jat, 'secret'], 'this is a PEM key, not a shared secret: using a public key as an HMAC secret is the algorithm-confusion attack');
    }
    const bytes = new TextEncoder().encode(j.secret.value).byteLength;
    const min = Math.max(0, ...hmac.map((a) => Number(a.slice(2)) / 8));
    if (bytes < min) issue([...jat, 'secret'], `${hmac.join(', ')} need a secret of at least ${min} bytes (RFC 7518 §3.2); this one has ${bytes}`);
  }
  if (count() > 0) return undefined;
  const keys: JwtKeySources = {
    ...(j.secret && { secret: j.secret }),
    ...(j.publicKeys && { publicKeys: j.publicKeys.map((k) => ({ file: k.file, alg: k.alg, ...(k.kid !== undefined && { kid: k.kid }) })) }),
    ...(j.jwks !== undefined && { jwks: j.jwks }),
  };
  return {
    jwt: {
      algorithms,
      keys,
      ...(j.issuer !== undefined && { issuer: typeof j.issuer === 'string' ? j.issuer : [...j.issuer] }),
      ...(j.audience !== undefined && { audience: typeof j.audience === 'string' ? j.audience : [...j.audience] }),
      clockSkew: j.clockSkew === undefined ? 30_000 : parseDuration(j.clockSkew),
      requiredClaims: j.requiredClaims ?? ['exp'],
    },
  };
}

/** A route's `auth`, its keys read: what `buildJwtAuth` takes, but for the clock. */
export interface RouteAuthConfig {
  jwt: Omit<JwtAuthOptions, 'clock'>;
}

/**
 * `auth` as written → its keys taken from what the loader read (`material`) and checked;
 * problems at the field they concern.
 */
export function compileRouteAuth(raw: AuthFile, at: ConfigPath, material: ConfigMaterial, report: Issue): RouteAuthConfig | undefined {
  const { report: issue, count } = counting(report);
  const compiled = compileAuth(raw, at, issue);
  if (!compiled) return undefined;
  const jat = [...at, 'jwt'];
  // Problems come as `field: words` or `field[i]: words`: put each at its field.
  const atField = (problem: string) => {
    const m = /^(\w+)(?:\[(\d+)\])?(?:\.keys\[\d+\])?: (.*)$/s.exec(problem);
    if (!m) return issue(jat, problem);
    issue(m[2] === undefined ? [...jat, m[1]!] : [...jat, m[1]!, Number(m[2])], m[3]!);
  };
  const keys = readJwtKeys(compiled.jwt.keys, (f) => readMaterial(material.keyFiles.get(f)), material.secrets);
  if (!keys.ok) {
    keys.problems.forEach(atField);
    return undefined;
  }
  const jwt: Omit<JwtAuthOptions, 'clock'> = { ...compiled.jwt, keys: keys.keys };
  jwtOptionProblems(jwt).forEach(atField);
  (keys.keys.publicKeys ?? []).forEach((k, i) => {
    const converted = publicKeyJwk(k.pem, k.alg);
    if (!converted.ok) issue([...jat, 'publicKeys', i, 'file'], converted.problem);
  });
  return count() > 0 ? undefined : { jwt };
}

/** A file's text as the loader read it; throws as `fs` would (`err.code`), so readers word it the same. */
function readMaterial(read: FileRead | undefined): string {
  if (read && 'text' in read) return read.text;
  throw Object.assign(new Error('not read'), { code: read?.error ?? NOT_READ });
}
