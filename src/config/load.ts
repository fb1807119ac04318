/**
 * YAML file + JSON Schema → a typed value, or every problem at once, each with the file,
 * line and column a person has to go to. Used by the scenario model and the router config.
 *
 * Three kinds of issue come out of here: YAML syntax errors (duplicate keys included),
 * schema violations (Ajv, all errors, mapped back onto the YAML nodes), and — through
 * `issueAt` — the semantic checks a caller runs on the validated value.
 *
 * This file reads and parses; the parts live beside it: issues.ts (the issue, its order and
 * its printing), structure.ts (what a document must not be: too deep, alias bombs, Infinity),
 * schema-issues.ts (Ajv and its errors as issues), yaml-tree.ts (paths back to line:column).
 *
 * @example
 *   const loaded = parseYaml<Router>(text, 'router.yaml', RouterSchema);
 *   if (!loaded.ok) console.error(formatIssues(loaded.issues));
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { interpolateDocument, type VarLookup } from './interpolate.ts';
import { dedupe, formatPath, sortIssues, type ConfigIssue, type Locate } from './issues.ts';
import { schemaIssuesOf } from './schema-issues.ts';
import { checkStructure, firstAlias, MAX_ALIAS_COUNT, MAX_DEPTH, nonFiniteNumbers, syntaxMessage } from './structure.ts';
import { keyAt, YamlTree } from './yaml-tree.ts';

/** What `parseYaml` gives: the typed value and its positions, or every issue. */
export type Loaded<T> = { ok: true; value: T; locate: Locate } | { ok: false; issues: ConfigIssue[] };

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
  const schemaIssues = schemaIssuesOf(schema, value, tree, file);
  // A value left as `${UNSET}` fails its pattern too; the undefined variable is the one to fix.
  const unresolvedPaths = new Set([...unresolved.map((p) => formatPath(p.path)), ...numbers.map((i) => i.path)]);
  issues.push(...schemaIssues.filter((i) => !unresolvedPaths.has(i.path)));
  return { wellFormed: true, value, locate, issues: sortIssues(dedupe(issues)) };
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
