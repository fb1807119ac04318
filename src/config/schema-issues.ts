/**
 * JSON Schema validation (Ajv) and its errors as issues a person can act on: a union's
 * failing branches collapsed into the branch the author evidently meant, each error mapped
 * back onto the YAML node it is about, with what was expected and what was found.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isScalar, type Node } from 'yaml';
import { closest } from '../core/suggest.ts';
import { QUANTITY_BOUNDS, withinBounds, type QuantityKind } from '../core/units.ts';
import { formatPath, type ConfigIssue } from './issues.ts';
import type { Path, YamlTree } from './yaml-tree.ts';

/**
 * Validates `value` (the document read from `tree`) against `schema`: none if it passes, else
 * one issue per mistake, positioned on the YAML node it is about.
 */
export function schemaIssuesOf(schema: object, value: unknown, tree: YamlTree, file: string): ConfigIssue[] {
  const validate = compile(schema);
  if (validate(value)) return [];
  return collapseUnions(validate.errors ?? []).map((error) => toIssue(error, value, tree, file));
}

// Ajv instances are costly to build and a schema costly to compile; both are kept for the
// process. The cache is keyed by the schema object, which callers hold as a module constant.
let ajvInstance: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** The validator for `schema`, with faultline's keywords (`expected`, `quantity`). */
function compile(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    if (!ajvInstance) {
      ajvInstance = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, allowUnionTypes: true });
      // `expected`: the phrase an issue shows instead of a pattern; an annotation, not a check.
      ajvInstance.addVocabulary(['expected']);
      // `quantity`: a duration, percentage or rate string within what faultline can honour (units.ts).
      ajvInstance.addKeyword({
        keyword: 'quantity',
        schemaType: 'string',
        errors: false,
        validate: (kind: QuantityKind, data: unknown) => withinBounds(kind, data),
      });
    }
    v = ajvInstance.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

type Schema = Record<string, unknown> & {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  expected?: string;
  description?: string;
  title?: string;
};

/** A schema error ready to become an issue: Ajv's, or one a union collapsed into. */
interface Finding {
  instancePath: string;
  kind: 'ajv' | 'summary' | 'discriminator' | 'misplaced';
  error: ErrorObject;
  message?: string;
  expected?: string;
  /** Points at a key rather than a value (unknown and misplaced fields). */
  atKey?: string;
  /** A discriminator the object lacks: the issue names it and points at the object. */
  missing?: string;
}

/**
 * Ajv reports every failing branch of an anyOf/oneOf. A person wants one message: the
 * branch they evidently meant (matched by its discriminator, `kind`/`layer`/`model`, or
 * by the keys they wrote), or a single "expected one of" when no branch stands out.
 */
function collapseUnions(errors: ErrorObject[]): Finding[] {
  const unions = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const consumed = new Set<ErrorObject>();
  const out: Finding[] = [];
  for (const u of unions) {
    if (consumed.has(u)) continue;
    const prefix = `${u.schemaPath}/`;
    const inside = errors.filter(
      (e) => e !== u && e.schemaPath.startsWith(prefix) && isWithin(e.instancePath, u.instancePath),
    );
    consumed.add(u);
    for (const e of inside) consumed.add(e);
    out.push(...resolveUnion(u, inside));
  }
  for (const e of errors) if (!consumed.has(e)) out.push({ instancePath: e.instancePath, kind: 'ajv', error: e });
  return out;
}

function isWithin(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

function resolveUnion(u: ErrorObject, inside: ErrorObject[]): Finding[] {
  const parent = (u.parentSchema ?? {}) as Schema;
  const branches = (parent[u.keyword as 'anyOf' | 'oneOf'] ?? []) as Schema[];
  const data = u.data;
  const byBranch = (i: number) => inside.filter((e) => e.schemaPath.startsWith(`${u.schemaPath}/${i}/`));

  // oneOf matched twice: the branches themselves passed, so only the union's own error is left.
  if (inside.length === 0) return [{ instancePath: u.instancePath, kind: 'ajv', error: u }];

  const choice = chooseBranch(branches, data);
  if (choice.kind === 'branch') {
    const chosen = branches[choice.index]!;
    return collapseUnions(byBranch(choice.index)).map((f) => explainMisplaced(f, u, chosen, branches, choice.index));
  }
  if (choice.kind === 'discriminator') {
    const found = (data as Record<string, unknown>)[choice.field];
    const allowed = choice.allowed.map(String);
    const hint = typeof found === 'string' ? closest(found, allowed) : undefined;
    const where = choice.context.length ? ` for ${choice.context.map(([k, v]) => `${k} ${String(v)}`).join(', ')}` : '';
    const message =
      found === undefined
        ? `missing required field \`${choice.field}\``
        : `unknown ${choice.field} \`${String(found)}\`${where}${hint ? ` (did you mean \`${hint}\`?)` : ''}`;
    const finding: Finding = {
      instancePath: found === undefined ? u.instancePath : `${u.instancePath}/${escapePointer(choice.field)}`,
      kind: 'discriminator',
      error: u,
      message,
      expected: oneOfText(allowed),
    };
    if (found === undefined) finding.missing = choice.field;
    return [finding];
  }
  const expected = oneOfText(choice.candidates.map(describeSchema));
  // A union of constants is an enumeration to a reader: the value is simply not one of them.
  const enumeration = choice.candidates.every((c) => c.const !== undefined);
  const message = enumeration ? 'invalid value' : 'matches none of the accepted forms';
  return [{ instancePath: u.instancePath, kind: 'summary', error: u, message, expected }];
}

type Choice =
  | { kind: 'branch'; index: number }
  | { kind: 'discriminator'; field: string; allowed: unknown[]; context: [string, unknown][] }
  | { kind: 'none'; candidates: Schema[] };

function chooseBranch(branches: Schema[], data: unknown): Choice {
  const t = jsonType(data);
  let candidates = branches.map((b, index) => ({ b, index })).filter(({ b }) => acceptsType(b, t));
  if (candidates.length === 0) return { kind: 'none', candidates: branches };
  if (candidates.length === 1) return { kind: 'branch', index: candidates[0]!.index };
  if (t !== 'object') return { kind: 'none', candidates: candidates.map((c) => c.b) };

  const obj = data as Record<string, unknown>;
  // Discriminators: properties every candidate pins with a `const`, in declaration order.
  const first = candidates[0]!.b.properties ?? {};
  const discriminators = Object.keys(first).filter((p) => candidates.every(({ b }) => b.properties?.[p]?.const !== undefined));
  const context: [string, unknown][] = [];
  for (const p of discriminators) {
    // An absent discriminator selects the branches where it is optional (it has a default).
    const next =
      obj[p] === undefined
        ? candidates.filter(({ b }) => !b.required?.includes(p))
        : candidates.filter(({ b }) => b.properties![p]!.const === obj[p]);
    if (next.length === 0) {
      const allowed = [...new Set(candidates.map(({ b }) => b.properties![p]!.const))];
      return { kind: 'discriminator', field: p, allowed, context };
    }
    if (obj[p] !== undefined) context.push([p, obj[p]]);
    candidates = next;
    if (candidates.length === 1) return { kind: 'branch', index: candidates[0]!.index };
  }

  // No discriminator decides: the branch whose keys the person wrote. Required keys present
  // count double, keys the branch does not know count against it.
  const keys = Object.keys(obj);
  const scored = candidates.map((c) => {
    const props = c.b.properties ?? {};
    const req = (c.b.required ?? []).filter((k) => k in obj).length;
    const known = keys.filter((k) => k in props).length;
    return { ...c, score: 2 * req + known - (keys.length - known) };
  });
  const best = Math.max(...scored.map((s) => s.score));
  const top = scored.filter((s) => s.score === best);
  if (top.length === 1) return { kind: 'branch', index: top[0]!.index };
  return { kind: 'none', candidates: candidates.map((c) => c.b) };
}

/**
 * Inside the chosen branch, a field the branch does not know may belong to a sibling:
 * `kbps` on a network latency fault is a bandwidth parameter. Say so, rather than "unknown".
 */
function explainMisplaced(f: Finding, u: ErrorObject, chosen: Schema, branches: Schema[], index: number): Finding {
  if (f.kind !== 'ajv' || f.error.keyword !== 'additionalProperties' || f.instancePath !== u.instancePath) return f;
  const key = (f.error.params as { additionalProperty: string }).additionalProperty;
  const owners = branches.filter((b, i) => i !== index && b.properties && key in b.properties);
  if (owners.length === 0) return f;
  const chosenProps = chosen.properties ?? {};
  const pinned = Object.keys(chosenProps).filter((p) => chosenProps[p]!.const !== undefined);
  const describe = (b: Schema) => {
    const differing = pinned.filter((p) => b.properties?.[p]?.const !== chosenProps[p]!.const);
    if (differing.length) return differing.map((p) => `${p}: ${String(b.properties![p]!.const)}`).join(', ');
    return (b.required ?? []).filter((k) => !(k in chosenProps)).map((k) => `\`${k}\``).join(' and ') || describeSchema(b);
  };
  const here = pinned.length ? ` (${pinned.map((p) => `${p}: ${String(chosenProps[p]!.const)}`).join(', ')})` : '';
  const list = owners.slice(0, 4).map(describe);
  const more = owners.length > 4 ? ', …' : '';
  return {
    ...f,
    kind: 'misplaced',
    atKey: key,
    message: `field \`${key}\` does not apply here${here}; it goes with ${list.join(' or ')}${more}`,
  };
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function acceptsType(s: Schema, t: string): boolean {
  const types = s.type !== undefined ? [s.type].flat() : s.const !== undefined ? [jsonType(s.const)] : undefined;
  if (!types) return true;
  // JSON Schema's `number` admits integers; `integer` does not admit 1.5.
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'nothing',
};

function describeSchema(s: Schema): string {
  if (s.expected) return s.expected;
  if (s.const !== undefined) return typeof s.const === 'string' ? s.const : JSON.stringify(s.const);
  if (s.enum) return oneOfText(s.enum.map(String));
  if (s.type === 'object' && s.required?.length) return `a mapping with ${s.required.map((k) => `\`${k}\``).join(' and ')}`;
  if (s.type !== undefined) return [s.type].flat().map((t) => TYPE_NAMES[t] ?? t).join(' or ');
  return s.title ?? s.description ?? 'a value';
}

function oneOfText(items: string[]): string {
  const unique = [...new Set(items)];
  return unique.length === 1 ? unique[0]! : `one of: ${unique.join(', ')}`;
}

// Findings → issues

/** A finding as an issue: positioned on its node (or key), with what was expected and found. */
function toIssue(f: Finding, root: unknown, tree: YamlTree, file: string): ConfigIssue {
  const path = pointerToPath(f.instancePath, root);
  const e = f.error;
  const schema = (e.parentSchema ?? {}) as Schema;
  const value = valueAt(root, path);
  const found = () => describeFound(value, tree.nodeAt(path));

  if (f.kind === 'misplaced') {
    const keyPath = [...path, f.atKey!];
    return { file, ...tree.keyAt(keyPath), path: formatPath(keyPath), message: f.message! };
  }
  if (f.missing !== undefined) {
    return { file, ...tree.keyAt(path), path: formatPath([...path, f.missing]), message: f.message!, expected: f.expected! };
  }
  if (f.kind === 'summary' || f.kind === 'discriminator') {
    const issue: ConfigIssue = { file, ...tree.valueAt(path), path: formatPath(path), message: f.message!, expected: f.expected! };
    if (value !== undefined) issue.found = found();
    return issue;
  }

  const at = { file, ...tree.valueAt(path), path: formatPath(path) };
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const keyPath = [...path, key];
      const hint = closest(key, Object.keys(schema.properties ?? {}));
      return {
        file,
        ...tree.keyAt(keyPath),
        path: formatPath(keyPath),
        message: `unknown field \`${key}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`,
      };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const issue: ConfigIssue = {
        file,
        ...tree.keyAt(path),
        path: formatPath([...path, missing]),
        message: `missing required field \`${missing}\``,
      };
      const sub = schema.properties?.[missing];
      if (sub) issue.expected = describeSchema(sub);
      return issue;
    }
    case 'type': {
      const expected = schema.expected ?? [e.params.type as string | string[]].flat().map((t) => TYPE_NAMES[t] ?? t).join(' or ');
      return { ...at, message: 'wrong type', expected, found: found() };
    }
    case 'pattern':
    case 'format':
      return { ...at, message: 'invalid value', expected: schema.expected ?? `a string matching ${String(e.schema)}`, found: found() };
    case 'const':
      return { ...at, message: 'invalid value', expected: describeSchema(schema), found: found() };
    case 'enum':
      return { ...at, message: 'invalid value', expected: oneOfText((schema.enum ?? []).map(String)), found: found() };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '≥', maximum: '≤', exclusiveMinimum: '>', exclusiveMaximum: '<' }[e.keyword];
      return { ...at, message: 'out of range', expected: schema.expected ?? `a number ${op} ${String(e.schema)}`, found: found() };
    }
    case 'multipleOf':
      return { ...at, message: 'invalid value', expected: `a multiple of ${String(e.schema)}`, found: found() };
    case 'minItems':
      return { ...at, message: Number(e.schema) === 1 ? 'must not be empty' : `needs at least ${String(e.schema)} entries`, found: found() };
    case 'maxItems':
      return { ...at, message: `allows at most ${String(e.schema)} entries` };
    case 'minLength':
      return { ...at, message: Number(e.schema) === 1 ? 'must not be empty' : `must be at least ${String(e.schema)} characters`, found: found() };
    case 'maxLength':
      return { ...at, message: `must be at most ${String(e.schema)} characters`, found: found() };
    case 'quantity':
      return { ...at, message: QUANTITY_BOUNDS[e.schema as QuantityKind] ?? 'out of range', found: found() };
    case 'uniqueItems':
      return { ...at, message: 'entries must be unique' };
    default:
      return { ...at, message: e.message ?? `fails ${e.keyword}` };
  }
}

function describeFound(value: unknown, node: Node | null): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const source = node && isScalar(node) && typeof node.source === 'string' && node.source ? node.source : String(value);
  return `${source} (${typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'true/false' : typeof value})`;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A JSON pointer back to path segments: indexes into arrays become numbers. */
function pointerToPath(pointer: string, root: unknown): Path {
  if (!pointer) return [];
  const path: Path = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(key)) {
      path.push(Number(key));
      cur = cur[Number(key)];
    } else {
      path.push(key);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

function valueAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}
