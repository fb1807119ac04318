/**
 * YAML file + JSON Schema → a typed value, or every problem at once, each with the file,
 * line and column a person has to go to. Used by the scenario model and the router config.
 *
 * Three kinds of issue come out of here: YAML syntax errors (duplicate keys included),
 * schema violations (Ajv, all errors, mapped back onto the YAML nodes), and — through
 * `issueAt` — the semantic checks a caller runs on the validated value.
 *
 * @example
 *   const loaded = parseYaml<Router>(text, 'router.yaml', RouterSchema);
 *   if (!loaded.ok) console.error(formatIssues(loaded.issues));
 */
import { readFile } from 'node:fs/promises';
import { closest } from '../core/suggest.ts';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { interpolateDocument, type VarLookup } from './interpolate.ts';
import { QUANTITY_BOUNDS, withinBounds, type QuantityKind } from '../core/units.ts';

/** One problem in a config file, positioned at the node a person should look at. */
export interface ConfigIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the document, as people write it: `faults[0].to`; empty for the whole document. */
  path: string;
  message: string;
  expected?: string;
  found?: string;
}

export type Loaded<T> = { ok: true; value: T; locate: Locate } | { ok: false; issues: ConfigIssue[] };

/** Maps a path inside the document (['faults', 0, 'to']) to its position; falls back to the nearest existing ancestor. */
export type Locate = (path: (string | number)[]) => { line: number; column: number };

type Path = (string | number)[];

/**
 * Parses `text` as YAML and validates it against `schema` (a JSON Schema object, e.g. a
 * TypeBox type). Returns the plain value on success; otherwise every syntax and schema
 * issue, sorted by position. The schema may carry an `expected` keyword on any subschema
 * (`expected: 'a duration like 250ms or 30s'`): it is what issues say instead of a pattern.
 */
export function parseYaml<T>(text: string, file: string, schema: object): Loaded<T> {
  return settle<T>(inspectYaml(text, file, schema));
}

/** Reads and parses a YAML file; a file that cannot be read is one issue at 1:1. */
export async function loadYamlFile<T>(file: string, schema: object): Promise<Loaded<T>> {
  return settle<T>(await inspectYamlFile(file, schema));
}

/**
 * What `parseYaml` knows before it decides: the value even when it fails the schema, so a
 * caller's semantic checks can run too and the author sees every issue in one pass.
 * `wellFormed` is false when the YAML itself (or the file) is broken: `value` is then a guess
 * not worth checking.
 */
export interface YamlInspection {
  wellFormed: boolean;
  value: unknown;
  locate: Locate;
  /** Syntax and schema issues, sorted by position. */
  issues: ConfigIssue[];
}

/** What `inspectYaml` may do to a document between parsing it and validating it. */
export interface InspectOptions {
  /** Interpolates `${VAR}` in string values (see interpolate.ts); absent: values are read as written. */
  vars?: VarLookup;
  /**
   * Changes the plain value before the schema sees it (e.g. command-line overrides) and
   * returns any issues of its own; `locate` gives positions in the file.
   */
  prepare?: (value: unknown, locate: Locate) => ConfigIssue[];
}

/** `parseYaml` without the verdict: the (possibly invalid) value, its positions and its issues. */
export function inspectYaml(text: string, file: string, schema: object, options: InspectOptions = {}): YamlInspection {
  const lineCounter = new LineCounter();
  // prettyErrors off: we position errors ourselves and want the bare message.
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    // yaml records a stack overflow as an error of its own; should one escape it anyway, it is an issue too.
    const message = err instanceof RangeError ? `nested too deeply to read (at most ${MAX_DEPTH} levels of mappings and lists)` : `cannot be parsed: ${String(err)}`;
    return { wellFormed: false, value: undefined, locate: () => ({ line: 1, column: 1 }), issues: [{ file, line: 1, column: 1, path: '', message }] };
  }
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const tree = new YamlTree(doc, pos);
  const locate: Locate = (path) => tree.valueAt(path);

  const issues: ConfigIssue[] = [];
  const broken = (issues: ConfigIssue[]): YamlInspection => ({ wellFormed: false, value: undefined, locate, issues: sortIssues(issues) });
  for (const err of doc.errors) {
    const at = pos(err.pos[0]);
    const dup = err.code === 'DUPLICATE_KEY' ? keyAt(doc, err.pos[0]) : undefined;
    if (dup) {
      issues.push({ file, ...at, path: formatPath(dup.path), message: `duplicate key \`${dup.key}\` (each key may appear once in a mapping)` });
    } else {
      issues.push({ file, ...at, path: '', message: syntaxMessage(err.code, err.message) });
    }
  }
  // A document with real syntax errors parses to a guess; validating the guess would bury
  // the syntax error under schema noise. Duplicate keys leave a sound document, so go on.
  if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return broken(issues);

  // Nesting, aliases and numbers the rest of faultline could not survive (a stack overflow,
  // an alias bomb, a cycle, Infinity) are issues here, before anything walks the tree.
  const structural = checkStructure(doc, file, pos);
  if (structural.length) return broken([...issues, ...structural]);

  let value: unknown;
  let unresolved: ReturnType<typeof interpolateDocument> = [];
  try {
    // Variables are replaced in the parsed tree, so positions stay those of the file as written.
    unresolved = options.vars ? interpolateDocument(doc, text, options.vars) : [];
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml refuses an alias bomb (or anything else it cannot expand): one issue, at the first alias.
    const first = firstAlias(doc);
    const at = first?.range ? pos(first.range[0]) : { line: 1, column: 1 };
    const message =
      err instanceof Error && /alias/i.test(err.message)
        ? `aliases expand too far (an alias bomb?): at most ${MAX_ALIAS_COUNT} alias expansions are read`
        : `the document cannot be read: ${err instanceof Error ? err.message : String(err)}`;
    return broken([...issues, { file, ...at, path: '', message }]);
  }
  for (const p of unresolved) issues.push({ file, ...pos(p.offset), path: formatPath(p.path), message: p.message });
  // A number beyond a double is reported as such, and not again as out of range.
  const numbers = nonFiniteNumbers(value, file, locate);
  issues.push(...numbers);
  if (options.prepare) issues.push(...options.prepare(value, locate));
  const validate = compile(schema);
  const schemaIssues: ConfigIssue[] = [];
  if (!validate(value)) {
    for (const error of collapseUnions(validate.errors ?? [])) schemaIssues.push(toIssue(error, value, tree, file));
  }
  // A value left as `${UNSET}` fails its pattern too; the undefined variable is the one to fix.
  const unresolvedPaths = new Set([...unresolved.map((p) => formatPath(p.path)), ...numbers.map((i) => i.path)]);
  issues.push(...schemaIssues.filter((i) => !unresolvedPaths.has(i.path)));
  return { wellFormed: true, value, locate, issues: sortIssues(dedupe(issues)) };
}

/** How deep mappings and lists may nest: far beyond any real config, far below a stack overflow. */
export const MAX_DEPTH = 64;
/** Alias expansions yaml performs before it calls a document an alias bomb. */
export const MAX_ALIAS_COUNT = 100;

/** yaml's messages, in terms of what faultline expects. */
function syntaxMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a second YAML document (after `---`): a faultline file holds exactly one; remove the `---` line, or put each document in a file of its own';
  if (code === 'RESOURCE_EXHAUSTION' || /call stack/i.test(message)) return `nested too deeply to read (at most ${MAX_DEPTH} levels of mappings and lists)`;
  return message;
}

/**
 * Nesting deeper than MAX_DEPTH, aliases without an anchor before them, and aliases inside
 * their own anchor (a cycle no consumer could walk). Recurses at most MAX_DEPTH levels.
 */
function checkStructure(doc: Document, file: string, pos: (offset: number) => Pos): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (node: Node | null | undefined, message: string) =>
    issues.push({ file, ...(node?.range ? pos(node.range[0]) : { line: 1, column: 1 }), path: '', message });
  const tooDeep = `nested too deeply: at most ${MAX_DEPTH} levels of mappings and lists`;
  const anchors = new Map<string, Node>();
  /** How many levels each anchored node holds, aliases expanded: an alias adds its anchor's. */
  const heights = new Map<Node, number>();
  const open = new Set<Node>();
  /** The levels below `node` (0 for a scalar), or -1 when the walk stopped at an issue. */
  const walk = (node: unknown, depth: number): number => {
    if (node === null || typeof node !== 'object') return 0;
    if (isAlias(node)) {
      const found = anchors.get(node.source);
      if (!found) at(node, `alias \`*${node.source}\` refers to no anchor: \`&${node.source}\` must be set before it`);
      else if (open.has(found)) at(node, `alias \`*${node.source}\` is inside its own anchor \`&${node.source}\`: the value would contain itself`);
      else if (depth + (heights.get(found) ?? 0) > MAX_DEPTH) at(node, tooDeep);
      else return heights.get(found) ?? 0;
      return issues.length < 20 ? 0 : -1;
    }
    if (!isScalar(node) && !isCollection(node)) return 0;
    const n = node as Node;
    if (n.anchor) anchors.set(n.anchor, n);
    if (!isCollection(n)) return 0;
    if (depth >= MAX_DEPTH) {
      at(n, tooDeep);
      return -1;
    }
    open.add(n);
    let height = 0;
    for (const item of n.items as unknown[]) {
      for (const child of isPair(item) ? [item.key, item.value] : [item]) {
        const h = walk(child, depth + 1);
        if (h < 0) return -1;
        height = Math.max(height, h + 1);
      }
    }
    open.delete(n);
    heights.set(n, height);
    return height;
  };
  walk(doc.contents, 0);
  return issues;
}

function firstAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/** Numbers too large (or too small) for a double, `.inf` and `.nan`: no quantity can be Infinity. */
function nonFiniteNumbers(value: unknown, file: string, locate: Locate): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: Path) => {
    if (issues.length >= 20) return;
    if (typeof v === 'number' && !Number.isFinite(v)) {
      issues.push({ file, ...locate(path), path: formatPath(path), message: Number.isNaN(v) ? 'not a number' : 'number too large to be read exactly (it reads as infinity)' });
    } else if (v !== null && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      if (v instanceof Map) for (const [k, x] of v) walk(x, [...path, String(k)]);
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    }
  };
  walk(value, []);
  return issues;
}

/** `inspectYaml` on a file; a file that cannot be read is one issue at 1:1 and not well-formed. */
export async function inspectYamlFile(file: string, schema: object, options: InspectOptions = {}): Promise<YamlInspection> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found' : `cannot read file: ${(err as Error).message}`;
    return { wellFormed: false, value: undefined, locate: () => ({ line: 1, column: 1 }), issues: [{ file, line: 1, column: 1, path: '', message }] };
  }
  return inspectYaml(text, file, schema, options);
}

function settle<T>(r: YamlInspection): Loaded<T> {
  if (r.issues.length > 0) return { ok: false, issues: r.issues };
  return { ok: true, value: r.value as T, locate: r.locate };
}

/**
 * One line per issue, `file:line:col  path  message (expected X, found Y)`, ordered by file and
 * position. What a file's author wrote (keys, names, values) reaches the text as written, so
 * every field passes through `printable`: control characters escaped, long words shortened.
 */
export function formatIssues(issues: ConfigIssue[]): string {
  return sortIssues(issues)
    .map((i) => {
      const extra = [i.expected && `expected ${printable(i.expected)}`, i.found && `found ${printable(i.found)}`].filter(Boolean).join(', ');
      return `${printable(i.file)}:${i.line}:${i.column}  ${i.path ? printable(i.path) : '(root)'}  ${printable(i.message)}${extra ? ` (${extra})` : ''}`;
    })
    .join('\n');
}

/** The longest word (run without spaces) `printable` keeps whole, and the longest text. */
const MAX_WORD = 80;
const MAX_TEXT = 400;

/**
 * Text from a file made safe for one line of a terminal: control characters (ESC, CR, LF,
 * C1, bidi overrides, line separators, lone surrogates) as escapes like `\x1b`, a word longer
 * than 80 characters (a 1 MB key) cut in its middle, and the whole cut at 400 characters.
 */
export function printable(text: string): string {
  const escaped = text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
      const code = c.charCodeAt(0);
      return named[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
    },
  );
  // Cuts never leave half a surrogate pair behind.
  const head = (t: string, n: number) => t.slice(0, n).replace(/[\ud800-\udbff]$/, '');
  const tail = (t: string, n: number) => t.slice(-n).replace(/^[\udc00-\udfff]/, '');
  const words = escaped.replace(new RegExp(`\\S{${MAX_WORD + 1},}`, 'g'), (w) => `${head(w, MAX_WORD - 20)}…(${w.length} chars)…${tail(w, 8)}`);
  return words.length > MAX_TEXT ? `${head(words, MAX_TEXT - 20)}…(${words.length} chars)` : words;
}

/** An issue at a path of a validated document: for semantic checks run after the schema. */
export function issueAt(
  locate: Locate,
  file: string,
  path: (string | number)[],
  message: string,
  extra?: { expected?: string; found?: string },
): ConfigIssue {
  const issue: ConfigIssue = { file, ...locate(path), path: formatPath(path), message };
  if (extra?.expected !== undefined) issue.expected = extra.expected;
  if (extra?.found !== undefined) issue.found = extra.found;
  return issue;
}

/** `['faults', 0, 'target', 'x-y']` → `faults[0].target["x-y"]`. */
export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Ajv

// Ajv instances are costly to build and a schema costly to compile; both are kept for the
// process. The cache is keyed by the schema object, which callers hold as a module constant.
let ajvInstance: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

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

// ---------------------------------------------------------------------------------------
// Findings → issues

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

/** The key whose node starts at `offset`, and its path (yaml reports a duplicate key by its first character only). */
function keyAt(doc: Document, offset: number): { key: string; path: Path } | undefined {
  let found: { key: string; path: Path } | undefined;
  visit(doc, {
    Pair(_, pair, ancestors) {
      const key = pair.key as Node | null;
      if (key?.range?.[0] !== offset) return undefined;
      const chain = [...ancestors, pair];
      const path: Path = [];
      chain.forEach((n, i) => {
        if (isPair(n)) path.push(scalarKey(n.key));
        else if (isSeq(n)) path.push(n.items.indexOf(chain[i + 1] as never));
      });
      found = { key: scalarKey(key), path };
      return visit.BREAK;
    },
  });
  return found;
}

function scalarKey(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
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

/** Issues ordered by file, line, column, path: the order a person fixes them in. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.column}:${i.path}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------------------------------
// Positions

type Pos = { line: number; column: number };

/** Walks the YAML node tree along a path, so a value's issue can point at its source. */
class YamlTree {
  #doc: Document;
  #pos: (offset: number) => Pos;

  constructor(doc: Document, pos: (offset: number) => Pos) {
    this.#doc = doc;
    this.#pos = pos;
  }

  /** The node at `path` (null if absent) — used for the source text of a found value. */
  nodeAt(path: Path): Node | null {
    const r = this.#walk(path);
    return r.complete ? r.node : null;
  }

  /** The value's position; an empty value (`to:`) or a missing one points at its key or nearest ancestor. */
  valueAt(path: Path): Pos {
    const r = this.#walk(path);
    const range = r.node?.range;
    if (range && range[1] > range[0]) return this.#pos(range[0]);
    if (r.key?.range) return this.#pos(r.key.range[0]);
    if (range) return this.#pos(range[0]);
    return { line: 1, column: 1 };
  }

  /** A key's position (for unknown fields and objects missing a field); a list item has no key, so its value. */
  keyAt(path: Path): Pos {
    const r = this.#walk(path);
    if (r.complete && r.key?.range) return this.#pos(r.key.range[0]);
    return this.valueAt(path);
  }

  #walk(path: Path): { node: Node | null; key: Node | null; complete: boolean } {
    let node = (this.#doc.contents ?? null) as Node | null;
    let key: Node | null = null;
    for (const seg of path) {
      if (node && isAlias(node)) node = (node.resolve(this.#doc) ?? null) as Node | null;
      if (isMap(node)) {
        const pair = node.items.find((p) => scalarKey(p.key) === String(seg));
        if (!pair) return { node, key, complete: false };
        key = pair.key as Node;
        node = (pair.value ?? null) as Node | null;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        key = null;
        node = (node.items[seg] ?? null) as Node | null;
      } else {
        return { node, key, complete: false };
      }
    }
    return { node, key, complete: true };
  }
}
