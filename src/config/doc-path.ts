/**
 * The override-by-path language: `path: value` pairs that change a parsed YAML document
 * (a router config, a scenario) before it is validated, so the document's own schema, unit
 * parsing and checks judge the changed values exactly as if they had been written in the file.
 *
 * A path is keys joined by dots, each key optionally followed by one pick in brackets:
 *
 *   retry.backoff.jitter            a key under a key
 *   routes[/api/**].retry           the item of the list `routes` named `/api/**` (by the fields
 *                                   `rules.names.routes` lists, e.g. a route's `match`)
 *   routes[0].timeout               the first item;  routes[*].timeout  every item
 *   providers[backend].breaker      the entry `backend` of a mapping (same as providers.backend)
 *
 * A bracket holds anything but `]`, dots included (`routes[/v1.2/**]`). With `rules.shorthand`,
 * a path whose first key is none of the document's top-level fields means that key on every
 * item of the listed collections that has it: `retry.jitter` is `routes[*].retry.jitter` for
 * each route with a `retry` (and each provider with one).
 *
 * A value is written as in the file (`50ms`, `20%`, a mapping to add a block). `off` (or
 * null) removes the setting. Overrides are applied in order; each one's problems — a path that
 * does not parse, names nothing, a pick that matches no item — are `ConfigIssue`s at the place
 * the override is written (`at`), every one at once. Values are not checked here: the schema
 * does that afterwards, and `repositionIssues` moves its issues on overridden values to the
 * override's own line.
 *
 * Pure: no I/O; the document is changed in place.
 *
 * @example
 *   const { applied, issues } = applyDocOverrides(doc, [{ path: 'routes[/api/**].retry.backoff.base', value: '50ms', at }], { names: { routes: ['match'] } });
 */
import { closest } from '../core/suggest.ts';
import { formatPath, type ConfigIssue } from './issues.ts';

/** One key of a path, and the pick after it (`routes[/api/**]`: key `routes`, pick `/api/**`). */
export interface PathSegment {
  key: string;
  pick?: string;
}

/** Where an override is written, for its issues: the file, the line and column of its value, and its field there. */
export interface OverrideSite {
  file: string;
  line: number;
  column: number;
  path: string;
}

/** One `path: value` to apply. */
export interface DocOverride {
  path: string;
  value: unknown;
  at: OverrideSite;
}

/** How paths read a given kind of document. */
export interface PathRules {
  /** A list's items are picked by name: list key → the item fields that name an item, tried in order (`{ routes: ['match'] }`). */
  names: Readonly<Record<string, readonly string[]>>;
  /**
   * Paths that start below the top level: `roots` are the document's top-level fields; a path
   * starting with any other key reaches that key in every item of the `within` collections
   * (lists or mappings at the top level) that has it; `what` words them for messages.
   */
  shorthand?: { roots: readonly string[]; within: readonly string[]; what: string };
}

/** An override and the places in the document it changed (concrete paths, `['routes', 0, 'retry', 'jitter']`). */
export interface AppliedOverride {
  override: DocOverride;
  paths: (string | number)[][];
  /**
   * Where the path may have meant to go, when it added a key its mapping did not have but a
   * mapping inside it does (`retry.jitter` → `retry.backoff.jitter`): the schema then calls
   * the new key unknown, and `repositionIssues` offers these as the did-you-mean.
   */
  nearby?: string[];
}

/** The value that removes a setting (as does null). */
export const REMOVE = 'off';

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);

/** Splits a path into its keys and picks; a malformed path is a message in words. */
export function parseDocPath(text: string): { ok: true; segments: PathSegment[] } | { ok: false; message: string } {
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (message: string) => ({ ok: false as const, message: `path ${JSON.stringify(text)}: ${message}` });
  if (text.trim() === '') return fail('is empty');
  while (i < text.length) {
    let key = '';
    while (i < text.length && text[i] !== '.' && text[i] !== '[') key += text[i++];
    if (key === '' || /\s|\]/.test(key)) return fail(key === '' ? `a key is missing at character ${i + 1}` : `\`${key}\` is not a key (no spaces or ])`);
    // A key that would reach an object's prototype, not a setting.
    if (key === '__proto__') return fail('`__proto__` is not a setting');
    const seg: PathSegment = { key };
    if (text[i] === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) return fail(`the [ at character ${i + 1} is never closed`);
      const pick = text.slice(i + 1, close).trim();
      if (pick === '') return fail(`the [] after \`${key}\` is empty (a name, an index or *)`);
      if (pick === '__proto__') return fail('`__proto__` is not a setting');
      seg.pick = pick;
      i = close + 1;
      if (i < text.length && text[i] !== '.') return fail(`expected . after ] at character ${i + 1}`);
    }
    segments.push(seg);
    if (text[i] === '.') {
      i++;
      if (i === text.length) return fail('ends with a dot');
    }
  }
  return { ok: true, segments };
}

/**
 * Applies the overrides to `doc` in place, in order. Returns what each changed and the issues
 * of those that could not be applied (each at its `at`).
 */
export function applyDocOverrides(doc: unknown, overrides: readonly DocOverride[], rules: PathRules): { applied: AppliedOverride[]; issues: ConfigIssue[] } {
  const applied: AppliedOverride[] = [];
  const issues: ConfigIssue[] = [];
  for (const o of overrides) {
    const problem = (message: string, extra?: { expected?: string }): void => {
      issues.push({ ...o.at, message: `\`${o.path}\`: ${message}`, ...(extra?.expected !== undefined && { expected: extra.expected }) });
    };
    const parsed = parseDocPath(o.path);
    if (!parsed.ok) {
      problem(parsed.message.replace(/^path "[^"]*": /, 'the path '));
      continue;
    }
    const root = rec(doc);
    if (!root) {
      problem('the document is not a mapping');
      continue;
    }
    const starts = startsOf(root, parsed.segments, rules);
    if (typeof starts === 'string') {
      problem(starts, rules.shorthand ? { expected: `a top-level field (${rules.shorthand.roots.join(', ')}) or a field of a ${rules.shorthand.what}` } : {});
      continue;
    }
    const remove = o.value === null || o.value === REMOVE;
    const paths: (string | number)[][] = [];
    const errors: string[] = [];
    const nearby: string[] = [];
    for (const start of starts) {
      const r = walkAndSet(root, start.prefix, start.segments, remove, o.value, rules, (inner) => {
        const at = o.path.lastIndexOf('.') + 1;
        const alt = `${o.path.slice(0, at)}${inner}.${o.path.slice(at)}`;
        if (!nearby.includes(alt)) nearby.push(alt);
      });
      if (typeof r === 'string') errors.push(r);
      else paths.push(...r);
    }
    // A shorthand reaching several items fails only if it could change none of them.
    if (paths.length === 0) {
      problem(errors[0] ?? 'names nothing');
      continue;
    }
    applied.push({ override: o, paths, ...(nearby.length > 0 && { nearby }) });
  }
  return { applied, issues };
}

/** Where a path starts: at the root, or (shorthand) in each collection item that has its first key. */
function startsOf(root: Raw, segments: PathSegment[], rules: PathRules): { prefix: (string | number)[]; segments: PathSegment[] }[] | string {
  const first = segments[0]!.key;
  const short = rules.shorthand;
  if (!short || short.roots.includes(first)) return [{ prefix: [], segments }];
  const starts: { prefix: (string | number)[]; segments: PathSegment[] }[] = [];
  for (const c of short.within) {
    const coll = root[c];
    const entries: [string | number, unknown][] = Array.isArray(coll) ? coll.map((v, i) => [i, v]) : Object.entries(rec(coll) ?? {});
    for (const [k, item] of entries) if (rec(item) && Object.hasOwn(rec(item)!, first)) starts.push({ prefix: [c, k], segments });
  }
  if (starts.length) return starts;
  const hint = closest(first, short.roots);
  return `names nothing: \`${first}\` is no top-level field${hint ? ` (did you mean \`${hint}\`?)` : ''}, and no ${short.what} has it`;
}

/** Follows `segments` from `prefix` and sets (or removes) the last key; the concrete paths changed, or why not. */
function walkAndSet(
  root: Raw,
  prefix: (string | number)[],
  segments: PathSegment[],
  remove: boolean,
  value: unknown,
  rules: PathRules,
  near: (innerKey: string) => void = () => {},
): (string | number)[][] | string {
  let level: { node: unknown; path: (string | number)[] }[] = [{ node: prefix.reduce<unknown>((n, k) => (n as Raw)[k as string], root), path: prefix }];
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    const last = s === segments.length - 1 && seg.pick === undefined;
    const next: { node: unknown; path: (string | number)[] }[] = [];
    for (const { node, path } of level) {
      const m = rec(node);
      const where = path.length ? formatPath(path) : 'the top level';
      if (!m) return `${where} is not a mapping, so it has no \`${seg.key}\``;
      if (last) {
        if (remove && !Object.hasOwn(m, seg.key)) return `${where} has no \`${seg.key}\` to remove`;
        // A key added beside a block that has it (retry.jitter beside retry.backoff.jitter): likely meant to go inside.
        if (!Object.hasOwn(m, seg.key)) for (const [k, child] of Object.entries(m)) if (rec(child) && Object.hasOwn(rec(child)!, seg.key)) near(k);
        next.push({ node: m, path: [...path, seg.key] });
        continue;
      }
      if (!Object.hasOwn(m, seg.key)) {
        const hint = closest(seg.key, Object.keys(m));
        return `${where} has no \`${seg.key}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}; to add a block, set \`${segments
          .slice(0, s + 1)
          .map((x) => x.key + (x.pick ? `[${x.pick}]` : ''))
          .join('.')}\` to a mapping`;
      }
      const child = m[seg.key];
      if (seg.pick === undefined) {
        next.push({ node: child, path: [...path, seg.key] });
        continue;
      }
      const picked = pick(child, seg.key, seg.pick, rules);
      if (typeof picked === 'string') return `${formatPath([...path, seg.key])}: ${picked}`;
      for (const [k, v] of picked) next.push({ node: v, path: [...path, seg.key, k] });
    }
    level = next;
  }
  // The last segment had a pick: the picked items themselves are replaced or removed.
  const out: (string | number)[][] = [];
  // Removing list items back to front keeps the indices of those not yet removed.
  for (const { node, path } of remove ? [...level].reverse() : level) {
    if (segments[segments.length - 1]!.pick !== undefined) {
      const parent = path.slice(0, -1).reduce<unknown>((n, k) => (n as Raw)[k as string], root) as Raw | unknown[];
      const k = path[path.length - 1]!;
      if (remove) {
        if (Array.isArray(parent)) parent.splice(k as number, 1);
        else delete (parent as Raw)[k as string];
      } else (parent as Raw)[k as string] = structuredClone(value);
      out.push(path);
      continue;
    }
    const m = node as Raw;
    const key = path[path.length - 1] as string;
    if (remove) delete m[key];
    else m[key] = structuredClone(value);
    out.push(path);
  }
  return remove ? out.reverse() : out;
}

/** The entries of a list or mapping that `pick` names: an index, `*`, a name (lists, by `rules.names`), or a key (mappings). */
function pick(coll: unknown, key: string, p: string, rules: PathRules): [string | number, unknown][] | string {
  if (Array.isArray(coll)) {
    if (p === '*') return coll.map((v, i) => [i, v]);
    if (/^\d+$/.test(p)) {
      const i = Number(p);
      return i < coll.length ? [[i, coll[i]]] : `has ${coll.length} item${coll.length === 1 ? '' : 's'}, so no [${p}]`;
    }
    const fields = rules.names[key] ?? ['name'];
    const names: string[] = [];
    for (const field of fields) {
      const i = coll.findIndex((item) => rec(item)?.[field] === p);
      if (i >= 0) return [[i, coll[i]]];
      for (const item of coll) if (typeof rec(item)?.[field] === 'string') names.push(rec(item)![field] as string);
    }
    const hint = closest(p, names);
    return `no item has ${fields.map((f) => `${f} ${JSON.stringify(p)}`).join(' or ')}${hint ? ` (did you mean \`${hint}\`?)` : ''}${names.length ? `; there are: ${names.join(', ')}` : ''}`;
  }
  const m = rec(coll);
  if (!m) return 'is not a list or a mapping, so nothing in it can be picked';
  if (p === '*') return Object.entries(m);
  if (Object.hasOwn(m, p)) return [[p, m[p]]];
  const hint = closest(p, Object.keys(m));
  return `has no \`${p}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}; there are: ${Object.keys(m).join(', ') || 'none'}`;
}

/**
 * Issues found after the overrides were applied (schema, checks), moved from the document's
 * own lines to the override that made the value they are about: an issue at or under a path
 * an override changed takes the override's file, line and field, and says which setting it
 * is. Others are kept, with `note` (e.g. `with variant no-jitter`) added to their message.
 */
export function repositionIssues(issues: readonly ConfigIssue[], applied: readonly AppliedOverride[], note?: string): ConfigIssue[] {
  const owners = applied.flatMap((a) => a.paths.map((p) => ({ a, path: formatPath(p) })));
  return issues.map((i) => {
    const owner = owners
      .filter((o) => i.path === o.path || i.path.startsWith(`${o.path}.`) || i.path.startsWith(`${o.path}[`))
      .sort((x, y) => y.path.length - x.path.length)[0];
    if (!owner) return note ? { ...i, message: `${i.message} (${note})` } : i;
    const o = owner.a.override;
    // What the issue found is read from the file's text, where the old value stands: the new one is the override's.
    const { found: _old, ...rest } = i;
    const found = i.path === owner.path && i.found !== undefined ? { found: JSON.stringify(o.value) } : {};
    const hint = owner.a.nearby && i.path === owner.path && /^unknown field/.test(i.message) && !/did you mean/.test(i.message) ? ` (did you mean \`${owner.a.nearby.join('` or `')}\`?)` : '';
    return { ...rest, ...o.at, ...found, message: `\`${o.path}: ${typeof o.value === 'string' ? o.value : JSON.stringify(o.value)}\` sets ${i.path} in ${i.file}: ${i.message}${hint}` };
  });
}
